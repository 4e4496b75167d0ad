/**
 * Address spaces that grow with what is mapped (mem/address-space.ts): the Wasm memory starts
 * small and grows to cover the highest mapping, and every view over it follows.
 * - c/grow.c maps and touches 512 MiB, reads the far end back through write(2), forks (the
 *   child sees the parent's pages, its writes stay its own), unmaps and remaps: as natively;
 * - the same program's probe mode, with a host that refuses to grow a memory past 1 GiB
 *   (WebAssembly.Memory.prototype.grow patched to throw the RangeError a browser throws when
 *   it has no memory to give: no real host here runs out at a chosen size), gets ENOMEM and
 *   keeps running; without the patch it gets ENOMEM at the task size; MAP_FIXED below
 *   MMAP_MIN_ADDR is EPERM (engine only: native root may map there);
 * - unit: a grow rebuilds u8/dv/perm and the CPU state views; MAP_FIXED below MMAP_MIN_ADDR.
 * Node's own default is a full-size memory that never grows (setGrowMemories: a grow's detach
 * slows every typed-array access in the process), so this file turns growth on for its
 * tests, as browsers have it, and checks that default separately.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSameAsNative } from '../support/same-as-native.js';
import { buildC } from '../support/build.js';
import { runGuest } from '../support/guest.js';
import { AddressSpace, AddressSpaceFull, setGrowMemories, MAP_ANONYMOUS, MAP_PRIVATE, MMAP_MIN_ADDR, PROT_READ, PROT_WRITE } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { EAX } from '../../src/engine/cpu/state.js';

const SRC = new URL('./c/', import.meta.url).pathname;

/** Made with Node's default, before this file turns growth on below. */
const nodeDefault = new AddressSpace();

test("Node's default: a memory at the task size from the start, never detached by a mapping", () => {
  const mem = nodeDefault;
  const buf = mem.memory.buffer;
  assert.equal(mem.byteLength, 0xc0000000, 'the whole 3 GiB task size');
  mem.map(0x80000000, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  mem.write32(0x80001ffc, 7);
  assert.equal(mem.memory.buffer, buf, 'the same buffer: no grow, no detach');
  assert.equal(buf.byteLength, 0xc0000000);
  assert.equal(mem.read32(0x80001ffc), 7);
  mem.release();
});

// Every other test here runs the growing path, as browsers do.
setGrowMemories(true);

test('grow.c: 512 MiB mapped and touched, fork, munmap, remap: as natively', { timeout: 900_000 }, () =>
  assertSameAsNative(`${SRC}grow.c`, { nativeStatus: 0 }));

test('a grow rebuilds every view: u8, dv, perm and the CPU state of each thread', () => {
  const mem = new AddressSpace();
  const a = new Cpu(mem), b = new Cpu(mem);
  a.s[EAX] = 0x1234; b.s[EAX] = 0x5678;
  a.fpu.s[0] = a.s[0];
  const small = mem.byteLength;
  assert.ok(small < 64 << 20, `starts small (${small} bytes)`);
  mem.map(MMAP_MIN_ADDR, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  mem.write32(MMAP_MIN_ADDR, 0xcafe);
  const far = 0x80000000;
  mem.map(far, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  assert.ok(mem.byteLength >= far + 0x2000 && mem.byteLength <= far + (32 << 20), `covers the mapping (${mem.byteLength})`);
  assert.equal(mem.memory.buffer.byteLength, mem.byteLength);
  for (const c of [a, b]) {
    assert.equal(c.s.buffer, mem.memory.buffer, 'state view on the new buffer');
    assert.equal(c.b8.buffer, mem.memory.buffer);
    assert.equal(c.w16.buffer, mem.memory.buffer);
    assert.equal(c.fpu.s, c.s);
  }
  assert.equal(a.s[EAX], 0x1234);
  assert.equal(b.s[EAX], 0x5678);
  assert.equal(mem.read32(MMAP_MIN_ADDR), 0xcafe, 'content kept');
  mem.write32(far + 0x1ffc, 0x11223344);
  assert.equal(mem.dv.getUint32(far + 0x1ffc, true), 0x11223344);
  assert.deepEqual([...mem.readBytes(far + 0x1ffc, 4)!], [0x44, 0x33, 0x22, 0x11]);
  assert.equal(mem.perm.buffer, mem.memory.buffer, 'page table view on the new buffer');
  assert.equal(mem.perm[far >>> 12], PROT_READ | PROT_WRITE);
  // fork copies the grown memory.
  const c = mem.clone();
  assert.ok(c.byteLength >= mem.byteLength);
  assert.equal(c.read32(far + 0x1ffc), 0x11223344);
  assert.equal(c.read32(MMAP_MIN_ADDR), 0xcafe);
  // The low area is the engine's: no mapping there.
  assert.throws(() => mem.map(0x100000, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS), /below MMAP_MIN_ADDR/);
  // Past the task size: AddressSpaceFull, the memory unchanged.
  const tiny = new AddressSpace(8 << 20);
  assert.throws(() => tiny.map(8 << 20, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS), AddressSpaceFull);
});

/** Run grow.c's probe with memory.grow refusing past `limit` bytes (Infinity: unpatched). */
async function probe(limit: number): Promise<{ stdout: string; status: number }> {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number): number {
    if (this.buffer.byteLength + delta * 65536 > limit) throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    return grow.call(this, delta);
  };
  try {
    const g = await runGuest(['/prog', 'probe'], { files: { '/prog': buildC(`${SRC}grow.c`) }, jit: 'off' });
    assert.equal(g.stderr, '', g.warnings.join('\n'));
    return g;
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
  }
}

test('an mmap the host cannot give memory for is ENOMEM; the process goes on', async () => {
  const g = await probe(1 << 30);
  const m = /^mapped (\d+) pieces of 256 MiB, then ENOMEM; 0 bad words\nsmall mapping after the failure works\nMAP_FIXED at 0x100000: Operation not permitted\n$/.exec(g.stdout);
  assert.ok(m, g.stdout);
  assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= 3, `1 GiB holds 1 to 3 pieces of 256 MiB beside the program: ${m[1]}`);
  assert.equal(g.status, 0);
});

test('mmap past the task size is ENOMEM', async () => {
  const g = await probe(Infinity);
  const m = /^mapped (\d+) pieces of 256 MiB, then ENOMEM; 0 bad words\nsmall mapping after the failure works\nMAP_FIXED at 0x100000: Operation not permitted\n$/.exec(g.stdout);
  assert.ok(m, g.stdout);
  assert.ok(Number(m[1]) >= 10 && Number(m[1]) <= 11, `3 GiB holds 10 or 11: ${m[1]}`);
});
