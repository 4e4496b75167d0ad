/**
 * The line discipline against vectors measured on a real Linux pty
 * (test/tty/vectors/gen-ldisc.py): same termios flags, same input through the master,
 * same echo read back from the master and the same reads on the slave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { World, ARG } from './fixture.js';
import { Devpts } from '../../src/engine/tty/devpts.js';
import { PtyMasterFile } from '../../src/engine/tty/pty.js';
import type { TtyFile } from '../../src/engine/tty/tty.js';
import { O_NOCTTY, O_NONBLOCK, O_RDWR, type Stat } from '../../src/engine/fs/types.js';
import { TIOCSPTLCK } from '../../src/engine/tty/ioctls.js';
import { putU32 } from '../../src/engine/linux/uaccess.js';

interface Case { name: string; iflag: number; oflag: number; lflag: number; input: string; echo: string; reads: string[] }
const vectors = JSON.parse(readFileSync(new URL('./vectors/ldisc-pty.json', import.meta.url), 'utf8')) as { cases: Case[] };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const EAGAIN = 11;

for (const c of vectors.cases) {
  test(`pty line discipline: ${c.name}`, async () => {
    const w = new World();
    const t = w.proc(10, { sid: 10, pgid: 10 });
    const fs = new Devpts(w.k);
    const m = fs.openMaster(O_RDWR | O_NONBLOCK, '/dev/ptmx', () => ({}) as Stat, t) as PtyMasterFile;
    putU32(t, ARG, 0);
    assert.equal(await m.ioctl(t, TIOCSPTLCK, ARG), 0);
    const s = m.pair.openSlave(O_RDWR | O_NOCTTY | O_NONBLOCK, '/dev/pts/0', t) as TtyFile;
    const tio = s.tty.getTermios();
    Object.assign(tio, { iflag: c.iflag, oflag: c.oflag, lflag: c.lflag });
    s.tty.setTermios(tio);

    const input = Buffer.from(c.input, 'hex');
    assert.equal(await m.write(t, new Uint8Array(input)), input.length);
    const buf = new Uint8Array(4096);
    const n = await m.read(t, buf);
    assert.equal(n < 0 ? '' : hex(buf.subarray(0, n)), c.echo, 'echo');
    const reads: string[] = [];
    for (;;) {
      const r = await s.read(t, buf);
      if (r === -EAGAIN) break;
      assert.ok(r >= 0, `read error ${r}`);
      reads.push(hex(buf.subarray(0, r)));
      if (r === 0 || reads.length > 8) break;
    }
    assert.deepEqual(reads, c.reads, 'reads');
  });
}
