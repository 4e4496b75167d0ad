/**
 * The python3 binary-trees workload (the Benchmarks Game's, reduced to its allocation and
 * recursion), shared by the Node rows (bench/run.ts, depth 12) and the Chromium rows
 * (bench/browser-jit.ts, depth 10: the page runs it far slower).
 */
export function binaryTrees(depth: number): string {
  return `
def make(d):
    return (make(d - 1), make(d - 1)) if d else (None, None)
def check(t):
    return 1 + check(t[0]) + check(t[1]) if t[0] else 1
n = ${depth}
print('stretch', n + 1, check(make(n + 1)))
long = make(n)
for d in range(4, n + 1, 2):
    it = 2 ** (n - d + 4)
    print(it, d, sum(check(make(d)) for _ in range(it)))
print('long lived', n, check(long))
`;
}
