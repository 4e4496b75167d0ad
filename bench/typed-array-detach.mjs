// Typed-array access speed before and after any ArrayBuffer in the process was detached
// (a WebAssembly.Memory grow detaches its old buffer): docs/BENCHMARKS.md, end of session 9.
//   node bench/typed-array-detach.mjs        no detach
//   node bench/typed-array-detach.mjs grow   one small memory grown first
if (process.argv[2] === 'grow') { const other = new WebAssembly.Memory({ initial: 1, maximum: 4 }); other.grow(1); }
const m = new WebAssembly.Memory({ initial: 256, maximum: 1024 });
let u8 = new Uint8Array(m.buffer);
function loop(a, n) { let s = 0; for (let i = 0; i < n; i++) { const k = (i * 7) & 0xffff; a[k] = (a[k] + i) & 255; s += a[(k + 3) & 0xffff]; } return s; }
for (let w = 0; w < 5; w++) loop(u8, 1e6);
const t = process.hrtime.bigint(); let s = 0; for (let r = 0; r < 40; r++) s += loop(u8, 1e6);
console.log(process.argv[2] ?? 'none', Number(process.hrtime.bigint() - t) / 1e6, 'ms');
