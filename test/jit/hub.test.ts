/**
 * The hub (src/engine/jit/hub.ts) on its own, with regions written by hand with binaryen: chaining follows the EIP a region leaves, counts each region's instructions, stops at the budget and at an EIP no region
 * starts at, forgets a region once it is unlinked (invalidated or evicted), and forgets
 * everything when its address space is released and reused for another process (the pool in
 * AddressSpace.create), whose code at the same addresses must never be entered through the
 * old process's cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../src/engine/mem/address-space.js';
import { EIP } from '../../src/engine/cpu/state.js';
import { CALL_RETURNED, HUB_ENTRIES, MAX_CALL_DEPTH, hubOf, hubSlot, regionRuns, runChained, unlinkRegion, type RegionFn } from '../../src/engine/jit/hub.js';
import { loadBinaryenNode } from '../../src/host/node/binaryen.js';

const bn = await loadBinaryenNode();

const SIZE = 16 << 20;

/** A region that runs `n` instructions and leaves with EIP = next. */
function region(mem: AddressSpace, next: number, n: number): RegionFn {
  const m = new bn.Module();
  m.setMemory(1, 65536, null, [], false, false, '0');
  m.addMemoryImport('0', 'e', 'm');
  const body = m.block(null, [m.i32.store(EIP * 4, 4, m.local.get(0, bn.i32), m.i32.const(next)), m.i32.const(n)], bn.i32);
  m.addFunction('f', bn.createType([bn.i32, bn.i32]), bn.i32, [], body);
  m.addFunctionExport('f', 'f');
  const bytes = m.emitBinary();
  m.dispose();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { e: { m: mem.memory } });
  return inst.exports.f as RegionFn;
}

test('the hub chains regions by EIP, within the budget, and forgets unlinked regions and released spaces', () => {
  const mem = AddressSpace.create(SIZE);
  const slot = mem.allocStateSlot();
  const s = new Int32Array(mem.memory.buffer, slot, 128);
  const A = 0x401000, B = 0x402000, C = 0x403000;
  const ra = {}, rb = {}, rc = {};
  const fa = region(mem, B, 3), fb = region(mem, C, 5), fc = region(mem, A, 7);
  // Entered from JS, B and C run alone: nothing is registered at the EIP they leave yet.
  assert.equal(runChained(mem, rb, B, fb, slot, 1000), 5);
  assert.equal(runChained(mem, rc, C, fc, slot, 1000), 7);
  // A chains B, C, A, B, C: 30 instructions, the budget.
  assert.equal(runChained(mem, ra, A, fa, slot, 30), 30);
  assert.equal(s[EIP] >>> 0, A);
  // Each region's own instructions, entered from JS or by a hop (the governor's per-region account): A ran twice, B and C three times.
  assert.deepEqual([regionRuns(ra), regionRuns(rb), regionRuns(rc), regionRuns({})], [6, 15, 21, -1]);
  const hub = hubOf(mem);
  assert.ok(hub.hops() >= 5);
  // B invalidated: A runs alone.
  unlinkRegion(rb);
  assert.equal(runChained(mem, ra, A, fa, slot, 1000), 3);
  assert.equal(s[EIP] >>> 0, B);

  // Released and reused (the pool): another process's code at A must not chain into the old C.
  mem.release();
  const mem2 = AddressSpace.create(SIZE);
  assert.equal(mem2, mem, 'the released space comes back from the pool');
  const cache = new Int32Array(mem2.memory.buffer, mem2.hubBase, HUB_ENTRIES * 2);
  assert.ok(cache.every((w) => w === 0), 'the hub cache is cleared on release');
  assert.notEqual(hubOf(mem2), hub);
  const slot2 = mem2.allocStateSlot();
  const fd = region(mem2, C, 11);
  assert.equal(runChained(mem2, {}, B, fd, slot2, 1000), 11);
  mem2.release();
});

test('the hub\'s call (a call out of a region) runs the chain until the continuation, not past the budget, the nesting cap or an unlinked region', () => {
  const mem = AddressSpace.create(SIZE);
  const slot = mem.allocStateSlot();
  const s = new Int32Array(mem.memory.buffer, slot, 128);
  const A = 0x401000, B = 0x402000, C = 0x403000, K = 0x404000;
  const ra = {}, rb = {}, rc = {};
  // A -> B -> C -> K (K: the caller's continuation, no region there).
  const fa = region(mem, B, 3), fb = region(mem, C, 5), fc = region(mem, K, 7);
  for (const [r, at, f] of [[ra, A, fa], [rb, B, fb], [rc, C, fc]] as const) runChained(mem, r, at, f, slot, 1);
  const hub = hubOf(mem);
  const words = new Int32Array(mem.memory.buffer, mem.hubBase + HUB_ENTRIES * 8, 8);
  s[EIP] = A;
  assert.equal(hub.call(slot, 1000, K), 15 | CALL_RETURNED, 'came back to the continuation');
  assert.equal(words[1], 0, 'depth back to 0');
  // A continuation never reached: the chain ends at K's miss without CALL_RETURNED.
  s[EIP] = A;
  assert.equal(hub.call(slot, 1000, 0x405000), 15);
  // The budget ends the chain first.
  s[EIP] = A;
  assert.equal(hub.call(slot, 8, K), 8);
  assert.equal(s[EIP] >>> 0, C);
  // At the nesting cap nothing runs: the caller leaves as without nesting.
  words[1] = MAX_CALL_DEPTH;
  s[EIP] = A;
  assert.equal(hub.call(slot, 1000, K), 0);
  assert.equal(s[EIP] >>> 0, A);
  words[1] = 0;
  // A region unlinked while the call runs (the generation is read at the call's start): D's
  // function unlinks B when called, as an invalidating store in a callee would, and leaves
  // at the continuation.
  const m = new bn.Module();
  m.setMemory(1, 65536, null, [], false, false, '0');
  m.addMemoryImport('0', 'e', 'm');
  m.addFunctionImport('u', 'e', 'u', bn.createType([]), bn.none);
  m.addFunction('f', bn.createType([bn.i32, bn.i32]), bn.i32, [], m.block(null, [
    m.call('u', [], bn.none), m.i32.store(EIP * 4, 4, m.local.get(0, bn.i32), m.i32.const(K)), m.i32.const(7)], bn.i32));
  m.addFunctionExport('f', 'f');
  const bytes = m.emitBinary();
  m.dispose();
  const fu = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { e: { m: mem.memory, u: () => unlinkRegion(rb) } }).exports.f as RegionFn;
  const rd = {}, D = 0x406000;
  runChained(mem, rd, D, fu, slot, 1);
  runChained(mem, rb, B, fb, slot, 1);
  s[EIP] = D;
  assert.equal(hub.call(slot, 1000, K), 7, 'an unlink while waiting: no CALL_RETURNED');
  s[EIP] = C;
  assert.equal(hub.call(slot, 1000, K), 7 | CALL_RETURNED, 'nothing unlinked meanwhile');
  mem.release();
});

test('regions whose entries hash to the same cache slot both stay chained (the cache is two-way)', () => {
  const mem = AddressSpace.create(SIZE);
  const slot = mem.allocStateSlot();
  const s = new Int32Array(mem.memory.buffer, slot, 128);
  // bash's pair (session 13): a return from strcpy and a function's entry, one slot.
  const A = 0x205ffad, B = 0x2037fa0;
  assert.equal(hubSlot(A), hubSlot(B));
  const C = [...Array(1 << 20).keys()].map((k) => 0x3000000 + k).find((x) => hubSlot(x) === hubSlot(A))!;
  const ra = {}, rb = {}, rc = {};
  const fa = region(mem, B, 3), fb = region(mem, A, 5), fc = region(mem, A, 7);
  // Each entered from JS once (installing its entry), B last.
  assert.equal(runChained(mem, ra, A, fa, slot, 1), 3);
  assert.equal(runChained(mem, rb, B, fb, slot, 1), 5);
  // Entered at A (re-installed), A and B alternate up to the budget: 3 + 5 per round.
  assert.equal(runChained(mem, ra, A, fa, slot, 80), 80);
  assert.equal(runChained(mem, rb, B, fb, slot, 80), 80);
  // A third EIP of the pair takes its slot, the entry there moving to the other one: C and A
  // stay, B goes; entered again, B takes the slot back (C moves, A goes), so B's chain ends at A.
  assert.equal(runChained(mem, rc, C, fc, slot, 1), 7);
  assert.equal(runChained(mem, rb, B, fb, slot, 80), 5);
  assert.equal(s[EIP] >>> 0, A);
  s[EIP] = C;
  assert.equal(hubOf(mem).call(slot, 1000, A), 7 | CALL_RETURNED, 'C kept its entry');
  // Unlinked, B's entry goes; C's stays.
  unlinkRegion(rb);
  s[EIP] = B;
  assert.equal(hubOf(mem).call(slot, 1000, A), 0, 'no entry at B');
  s[EIP] = C;
  assert.equal(hubOf(mem).call(slot, 1000, A), 7 | CALL_RETURNED);
  mem.release();
});
