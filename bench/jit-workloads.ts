/**
 * The workloads of the JIT's compile-worker and governor measurements (bench/jit-worker.ts):
 * short, code-heavy programs that the JIT must not slow down (design §6 and §9: cc1,
 * configure-like scripts, bash start-up) and two long ones, in a Debian root of their own
 * ('jit-cc1': gcc's root plus libpng-dev for a real mid-size C source, and sed/grep for the
 * configure-like script).
 */
import { GCC_ROOT_PACKAGES, NODE_ROOT_PACKAGES, debianRoot } from '../src/host/node/debian-packages.js';

export const JIT_BENCH_ROOT = (): string => debianRoot('jit-cc1', [...GCC_ROOT_PACKAGES, 'libpng-dev', 'libpng16-16', 'zlib1g-dev', 'sed', 'grep']);
export const JIT_BENCH_ENV = ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C'];

/** What configure scripts do most: fork and exec small tools, sed/grep/expr/test/case over their output. */
const CONFIGURE_LIKE = `rm -f /tmp/conf.h; for i in $(seq 1 40); do
  echo "#define HAVE_FEATURE_$i 1" >> /tmp/conf.h
  v=$(echo "checking for feature $i" | sed -e 's/feature/func/' | tr a-z A-Z)
  case "$v" in *FUNC*) ok=yes;; *) ok=no;; esac
  c=$(grep -c HAVE_ /tmp/conf.h)
  n=$(expr $i \\* 3 + 1)
  test -f /tmp/conf.h && echo "$v... $ok $c $n"
done | tail -2`;

export interface JitBenchWorkload { name: string; label: string; argv: string[] }

export const JIT_BENCH_WORKLOADS: JitBenchWorkload[] = [
  { name: 'gcc-hello', label: 'gcc -O2 hello.c (compile, link, run)', argv: ['/bin/bash', '-c', 'printf "#include <stdio.h>\\nint main(void) { puts(\\"hello\\"); return 0; }\\n" > /tmp/h.c && gcc -O2 -o /tmp/h /tmp/h.c && /tmp/h'] },
  { name: 'configure', label: 'configure-like bash script (40 checks: sed, tr, grep, expr)', argv: ['/bin/bash', '-c', CONFIGURE_LIKE] },
  { name: 'bash-start', label: 'bash -i -c true (reads /etc/bash.bashrc)', argv: ['/bin/bash', '-i', '-c', 'true'] },
  { name: 'bash-loop', label: 'bash arithmetic loop (20k)', argv: ['/bin/bash', '-c', 'i=0; s=0; while (( i < 20000 )); do s=$((s+i*3)); i=$((i+1)); done; echo $s'] },
  { name: 'cc1-png', label: 'gcc -O2 -c pngtest.c (libpng 1.6 example, 2,158 lines: cc1 + as)', argv: ['/bin/bash', '-c', 'gcc -O2 -c -o /tmp/pngtest.o /usr/share/doc/libpng-dev/examples/pngtest.c && echo ok'] },
];

/**
 * bench/run.ts's node rows (issue 10's 'simd-node' root), for single runs of the governor's
 * long and short code-heavy cases (bench/jit-run.ts, bench/jit-compile-cost.ts); not in
 * bench/jit-worker.ts's table. `root` is their Debian root.
 */
const NODE_LOOP = "const c=require('crypto');let h='';for(let i=0;i<3000;i++){const o=JSON.parse(JSON.stringify({i,a:[i,i/3,'x'.repeat(i%50)]}));"
  + "h=c.createHash('sha256').update(h+o.a[1]+o.a[2]).digest('hex')}console.log(h)";
export const JIT_NODE_WORKLOADS: (JitBenchWorkload & { root: () => string })[] = [
  { name: 'node-e0', label: 'node -e 0 (start-up)', argv: ['/usr/bin/node', '-e', '0'], root: () => debianRoot('simd-node', NODE_ROOT_PACKAGES) },
  { name: 'node-json', label: 'node JSON + sha256 loop (3000)', argv: ['/usr/bin/node', '-e', NODE_LOOP], root: () => debianRoot('simd-node', NODE_ROOT_PACKAGES) },
];

/** A workload of either list by name, and its root. */
export function jitBenchWorkload(name: string): { w: JitBenchWorkload; root: string } | undefined {
  const n = JIT_NODE_WORKLOADS.find((x) => x.name === name);
  if (n !== undefined) return { w: n, root: n.root() };
  const w = JIT_BENCH_WORKLOADS.find((x) => x.name === name);
  return w === undefined ? undefined : { w, root: JIT_BENCH_ROOT() };
}
