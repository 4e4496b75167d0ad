/**
 * The Node host adapter with streams that are not terminals (pipes, as in tests and
 * `echo cmd | webx86 ...`): bytes pass through to the console's line discipline and the
 * end of the stream reads as end of file; HostInputFile/HostOutputFile behave like pipe
 * ends (read blocks until data, 0 at end, POLLHUP after the writer is gone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { World, readStr, bytes, sleep } from './fixture.js';
import { NodeTerminal, HostInputFile, HostOutputFile } from '../../src/host/node/console.js';
import { Console } from '../../src/engine/tty/console.js';
import { POLLHUP, POLLIN } from '../../src/engine/fs/types.js';

test('NodeTerminal on a pipe: input reaches the console, output is processed, EOF ends input', async () => {
  const w = new World();
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const host = new NodeTerminal({ stdin, stdout });
  assert.equal(host.isRaw, false);
  const con = new Console(w.k, host);
  const t = w.proc(2, { sid: 2, pgid: 2 });
  const f = con.stdio(t.proc);
  stdin.write('echo hi\nlast');
  stdin.end();
  assert.equal(await readStr(f, t), 'echo hi\n');
  assert.equal(await readStr(f, t), 'last');
  assert.equal(await readStr(f, t), '');
  await f.write(t, bytes('out\n'));
  await sleep(5);
  assert.equal(Buffer.concat(chunks).toString('latin1'), 'echo hi\r\nlastout\r\n');
  assert.deepEqual(host.size(), { cols: 80, rows: 24 });
  host.dispose();
});

test('HostInputFile: blocking read, end of file, POLLHUP at end', async () => {
  const w = new World();
  const t = w.proc(2);
  const src = new PassThrough();
  const f = new HostInputFile(src);
  const p = readStr(f, t);
  await sleep(5);
  src.write('abc');
  assert.equal(await p, 'abc');
  assert.equal(f.poll() & POLLIN, 0);
  src.end();
  await sleep(5);
  assert.equal(await readStr(f, t), '');
  assert.equal(f.poll() & POLLHUP, POLLHUP);
});

test('HostOutputFile writes bytes unchanged', async () => {
  const w = new World();
  const t = w.proc(2);
  const dst = new PassThrough();
  const got: Buffer[] = [];
  dst.on('data', (c: Buffer) => got.push(c));
  const f = new HostOutputFile(dst);
  assert.equal(await f.write(t, bytes('x\ny')), 3);
  await sleep(5);
  assert.equal(Buffer.concat(got).toString(), 'x\ny');
});
