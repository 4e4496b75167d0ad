/**
 * The JIT in real Chromium, with the bundle loaded from a second origin (the CDN case: the
 * engine worker starts from a same-origin blob, and binaryen's chunk must still be found
 * relative to the worker's module). The second origin's server reports every /dist/
 * request it answered (test/support/browser-servers.ts), so the tests see exactly when
 * binaryen's chunk was downloaded and in which content coding.
 */
import { expect } from '@esm-bundle/chai';
import { loadTestEnv } from './helpers.js';

const env = await loadTestEnv();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wx: any = await import(env.bundle2);

interface DistRequest { path: string; status: number; bytes: number; encoding: string | null }
const distRequests = async (): Promise<DistRequest[]> => ((await (await fetch(env.statsUrl)).json()) as { dist: DistRequest[] }).dist;
// binaryen's chunk, not the small module with its Wasm loader (binaryen-wasm-HASH.js, src/host/worker/binaryen-wasm.ts).
const isBinaryen = (r: DistRequest) => /\/binaryen-(?!wasm-)[\w-]+\.js$/.test(r.path);
const isBinaryenWasm = (r: DistRequest) => /\/binaryen-[\w-]+\.wasm$/.test(r.path);
const isCompileWorker = (r: DistRequest) => /\/compile-worker-main-[\w-]+\.js$/.test(r.path);

const decoder = new TextDecoder();

/** Boot the test image with the JIT on or off and run `script` in bash; output, status and the JIT's figures. */
async function runIn(jit: boolean, script: string) {
  const linux = await wx.Linux.create({ mounts: [{ type: 'ext2', path: '/', dev: await wx.HttpBytesDevice.create(env.image) }], jit });
  let out = '';
  linux.setCustomConsole((buf: Uint8Array) => { out += decoder.decode(buf); }, 200, 24);
  const t0 = performance.now();
  const { status } = await linux.run('/bin/bash', ['-c', script]);
  const ms = performance.now() - t0;
  const stats = await linux.jitStats();
  await linux.delete();
  return { out, status, stats, ms };
}

describe('the JIT in the page', () => {
  before(() => expect(new URL(env.bundle2).origin).to.not.equal(location.origin));

  it('a page whose programs stay cold never downloads binaryen', async () => {
    await fetch(`${env.statsUrl}/reset`);
    const r = await runIn(true, 'echo cold; ls / >/dev/null; for i in 1 2 3; do echo $i; done');
    expect(r.status).to.equal(0);
    expect(r.out).to.contain('cold');
    expect(r.stats, 'jitStats() of a JIT machine').to.not.equal(null);
    expect(r.stats.loadMs).to.equal(0);
    expect(r.stats.regionsCompiled).to.equal(0);
    const seen = await distRequests();
    // The observation works (the worker's chunk came from this server) and binaryen was not among it.
    expect(seen.some((q) => /\/worker-[\w-]+\.js$/.test(q.path)), JSON.stringify(seen)).to.equal(true);
    expect(seen.filter(isBinaryen), JSON.stringify(seen)).to.deep.equal([]);
    expect(seen.filter(isBinaryenWasm), JSON.stringify(seen)).to.deep.equal([]);
    // Nor starts the compile worker.
    expect(seen.filter(isCompileWorker), JSON.stringify(seen)).to.deep.equal([]);
    expect(r.stats.compiler).to.equal('none');
  });

  it('a hot loop: binaryen is fetched compressed from the bundle\'s origin, regions run, output equals jit: false', async function () {
    // Two runs of 100+ M instructions, one interpreted: past the default 180 s on a shared 2-core host at load 25-30.
    this.timeout(600_000);
    // sha256sum's rounds and bash's arithmetic: 100+ M hot instructions (binaryen loads after 4 M).
    const script = 'head -c 2000000 /dev/zero | sha256sum; i=0; s=0; while [ $i -lt 1000 ]; do s=$(( (s * 31 + i) % 1000003 )); i=$((i+1)); done; echo $s';
    await fetch(`${env.statsUrl}/reset`);
    const on = await runIn(true, script);
    const seen = await distRequests();
    const off = await runIn(false, script);
    console.log(`jit on: ${on.ms.toFixed(0)} ms, off: ${off.ms.toFixed(0)} ms; stats ${JSON.stringify(on.stats)}; binaryen requests ${JSON.stringify(seen.filter(isBinaryen))}`);
    expect(on.status).to.equal(0);
    expect(on.out).to.equal(off.out);
    expect(on.out).to.match(/^[0-9a-f]{64} {2}-\r?\n\d+\r?\n$/);
    expect(off.stats).to.equal(null);
    expect(on.stats.loadMs).to.be.greaterThan(0);
    expect(on.stats.regionsCompiled).to.be.greaterThan(0);
    // Compiled in the compile worker nested in the engine's worker, itself started from the bundle's origin.
    expect(on.stats.compiler, JSON.stringify(on.stats)).to.equal('worker');
    expect(on.stats.regionsSent).to.be.greaterThan(0);
    expect(seen.filter(isCompileWorker).length, JSON.stringify(seen)).to.equal(1);
    expect(on.stats.instructions).to.be.greaterThan(0);
    const bin = seen.filter(isBinaryen);
    expect(bin.length, JSON.stringify(seen)).to.equal(1);
    expect(bin[0].status).to.equal(200);
    // binaryen's JavaScript is the glue only; its WebAssembly is a file of its own, instantiated
    // by streaming so Chromium can cache the compiled code (scripts/binaryen-wasm-split.ts).
    expect(bin[0].bytes).to.be.lessThan(100_000);
    const wasm = seen.filter(isBinaryenWasm);
    expect(wasm.length, JSON.stringify(seen)).to.equal(1);
    expect(wasm[0].status).to.equal(200);
    // Chromium accepts br and gzip on this origin; either beats the 9.9 MB file by 4x or more.
    expect(wasm[0].encoding).to.be.oneOf(['br', 'gzip']);
    expect(wasm[0].bytes).to.be.lessThan(2_500_000);
  });
});
