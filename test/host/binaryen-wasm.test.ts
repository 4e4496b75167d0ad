/**
 * src/host/worker/binaryen-wasm.ts against a real HTTP server (serveStatic): a .wasm served as
 * application/wasm instantiates by streaming; served as anything else it still instantiates
 * (from its bytes); a 404 is an error that names the file and the status, and through the
 * Emscripten hook it rejects binaryenWasmFailure instead of leaving the load pending.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../../src/host/node/static-server.js';
import { binaryenInstantiateWasm, binaryenWasmFailure, instantiateWasmFrom } from '../../src/host/worker/binaryen-wasm.js';

// (module (func (export "answer") (result i32) i32.const 42))
const WASM = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 10, 1, 6, 97, 110, 115, 119, 101, 114, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11]);
const answer = (r: { instance: WebAssembly.Instance }) => (r.instance.exports.answer as () => number)();
/** instantiateStreaming, which Node has and its type declarations (no DOM lib) do not. */
const api = WebAssembly as unknown as { instantiateStreaming: (s: unknown, i?: unknown) => Promise<unknown> };

test('served as application/wasm it instantiates by streaming; as text/plain from its bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-wasm-'));
  writeFileSync(join(dir, 'm.wasm'), WASM);
  const srv = await serveStatic({ routes: { '/': dir } });
  // A server that labels it wrongly.
  const plain = createServer((_, res) => { res.setHeader('content-type', 'text/plain'); res.end(WASM); });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  t.after(async () => { await srv.close(); plain.close(); rmSync(dir, { recursive: true, force: true }); });
  const streaming = api.instantiateStreaming;
  let streamed = 0;
  api.instantiateStreaming = (s, i) => { streamed++; return streaming(s, i); };
  try {
    assert.equal(answer(await instantiateWasmFrom(`${srv.url}/m.wasm`, {})), 42);
    assert.equal(streamed, 1);
    const port = (plain.address() as { port: number }).port;
    assert.equal(answer(await instantiateWasmFrom(`http://127.0.0.1:${port}/m.wasm`, {})), 42);
    assert.equal(streamed, 1, 'not streamed: instantiateStreaming refuses another Content-Type');
  } finally {
    api.instantiateStreaming = streaming;
  }
});

test('a missing file: the error names it and its status, and the hook rejects binaryenWasmFailure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-wasm-'));
  const srv = await serveStatic({ routes: { '/': dir } });
  t.after(async () => { await srv.close(); rmSync(dir, { recursive: true, force: true }); });
  await assert.rejects(instantiateWasmFrom(`${srv.url}/gone.wasm`, {}), /binaryen's WebAssembly \(http:\/\/127\.0\.0\.1:\d+\/gone\.wasm\): HTTP 404/);
  let received = false;
  const ret = binaryenInstantiateWasm(`${srv.url}/gone.wasm`)({}, () => { received = true; });
  assert.deepEqual(ret, {});
  await assert.rejects(binaryenWasmFailure, /HTTP 404/);
  assert.equal(received, false);
});
