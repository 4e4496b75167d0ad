/**
 * Ext2Fs.chain: what a host's stall report says about the file system's operation chain
 * (every operation of a writable mount runs alone, one after another). An operation held
 * by a device read that does not come back shows as operations pending and a running time
 * that grows; when the read comes back, the chain is idle again. The desktop test logs it
 * with each task's system call when a command takes long, so a file system wait that never
 * ends is named as such (2026-12-07: CI stalls of test/display/i3-desktop.test.ts were
 * suspected to be one; they were not).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { type BlockDevice, checkRange } from '../../src/engine/block/types.js';
import { tmpRoot } from './fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writable memory whose reads wait while `gate` is set. */
class GatedDevice implements BlockDevice {
  readonly size: number;
  gate: Promise<void> | null = null;
  constructor(private readonly mem: Uint8Array) { this.size = mem.length; }
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    checkRange(this.size, offset, length);
    const bytes = () => this.mem.subarray(offset, offset + length);
    return this.gate ? this.gate.then(bytes) : bytes();
  }
  write(offset: number, data: Uint8Array): void {
    checkRange(this.size, offset, data.length);
    this.mem.set(data, offset);
  }
}

describe('ext2 operation chain', () => {
  it('reports operations held by a device read that has not come back, and is idle after it does', async () => {
    const img = path.join(tmpRoot, `chain-${process.pid}.img`);
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', img, '8M'], { stdio: 'pipe' });
    const dev = new GatedDevice(new Uint8Array(fs.readFileSync(img)));
    fs.rmSync(img);
    const e2 = await Ext2Fs.mount(dev, 0x804, { writable: true });
    assert.equal(e2.readOnly, false);
    assert.deepEqual(e2.chain, { pending: 0, runningMs: 0 });
    let open!: () => void;
    dev.gate = new Promise((r) => { open = r; });
    // lost+found's directory block is not cached yet: the first lookup waits for the device.
    const first = e2.root.lookup('lost+found');
    const second = e2.root.lookup('nothing');
    await sleep(60);
    const held = e2.chain;
    assert.equal(held.pending, 2, 'the held lookup and the one behind it');
    assert.ok(held.runningMs >= 40, `running for ${held.runningMs} ms`);
    open();
    assert.ok(await first);
    assert.equal(await second, null);
    dev.gate = null;
    assert.deepEqual(e2.chain, { pending: 0, runningMs: 0 });
    await e2.unmount();
  });
});
