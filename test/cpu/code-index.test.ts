/**
 * The interpreter's block index across fork (src/engine/cpu/interp.ts CodeCache): a forked
 * child starts with its parent's index and neither side sees the pages the other adds or
 * drops afterwards, whichever 4 MiB directory they fall in (the index is copied a directory
 * at a time, not as one page-number array: docs/BENCHMARKS.md "Cold JIT runs of short
 * code-heavy programs"). Each side still finds the blocks both had at the fork.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../src/engine/mem/address-space.js';
import { codeCache } from '../../src/engine/cpu/interp.js';

// nop; ret: a one-instruction block ended by the ret.
const CODE = [0x90, 0xc3];
/** Code pages, three of them in one 4 MiB directory, the others in later ones (above MMAP_MIN_ADDR). */
const AT = [0x1001000, 0x1002000, 0x1003000, 0x1401000, 0x1402000, 0x1c01000];

function space(): AddressSpace {
  const mem = new AddressSpace(1 << 26);
  for (const a of AT) {
    mem.map(a, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC, 0x22);
    mem.u8.set(CODE, a);
  }
  return mem;
}

test('a fork relative\'s new pages stay its own, in the same directory and in others', () => {
  const parent = space();
  const pc = codeCache(parent);
  pc.decode(0x1001000);
  pc.decode(0x1401000);
  const child = parent.clone();
  const cc = codeCache(child);
  cc.forkFrom(pc);
  // Both see what the parent had decoded.
  for (const c of [pc, cc]) { assert.ok(c.get(0x1001000)); assert.ok(c.get(0x1401000)); }
  // The child adds a page next to a shared one and one in a directory nobody used.
  cc.decode(0x1002000);
  cc.decode(0x1c01000);
  assert.ok(cc.get(0x1002000) && cc.get(0x1c01000));
  assert.equal(pc.get(0x1002000), undefined, 'the child\'s page leaked into the parent\'s directory');
  assert.equal(pc.get(0x1c01000), undefined, 'the child\'s directory leaked into the parent');
  // The parent adds pages after the child has its own copy, in a directory both hold.
  pc.decode(0x1003000);
  pc.decode(0x1402000);
  assert.ok(pc.get(0x1003000) && pc.get(0x1402000));
  assert.equal(cc.get(0x1003000), undefined, 'the parent\'s page leaked into the child');
  assert.equal(cc.get(0x1402000), undefined, 'the parent\'s page leaked into the child');
  // Neither lost what it had.
  for (const c of [pc, cc]) { assert.ok(c.get(0x1001000)); assert.ok(c.get(0x1401000)); }
});

test('the parent writes first: its new pages stay out of the child, which still finds the shared ones', () => {
  const parent = space();
  const pc = codeCache(parent);
  pc.decode(0x1001000);
  const child = parent.clone();
  const cc = codeCache(child);
  cc.forkFrom(pc);
  pc.decode(0x1002000);
  pc.decode(0x1401000);
  assert.equal(cc.get(0x1002000), undefined);
  assert.equal(cc.get(0x1401000), undefined);
  assert.ok(cc.get(0x1001000));
  // A second fork of the parent shares its index as it is now, and is isolated from it again.
  const second = parent.clone();
  const sc = codeCache(second);
  sc.forkFrom(pc);
  assert.ok(sc.get(0x1002000) && sc.get(0x1401000));
  sc.decode(0x1402000);
  assert.equal(pc.get(0x1402000), undefined);
  assert.equal(cc.get(0x1402000), undefined);
});

test('a write to a code page drops it from the writer\'s index only: the other side keeps its entry', () => {
  const parent = space();
  const pc = codeCache(parent);
  pc.decode(0x1001000);
  pc.decode(0x1002000);
  const child = parent.clone();
  const cc = codeCache(child);
  cc.forkFrom(pc);
  // The child rewrites 0x1002000 (self-modifying code): its blocks there are gone for it.
  child.write8(0x1002000, 0x90);
  assert.equal(cc.get(0x1002000), undefined);
  // The child decodes the page again: a new block, which the parent does not see (its old one is
  // invalid: blocks are shared objects, so the other side decodes again — correct, only slower).
  cc.decode(0x1002000);
  assert.ok(cc.get(0x1002000));
  assert.notEqual(pc.get(0x1002000), cc.get(0x1002000));
  assert.ok(pc.get(0x1001000) && cc.get(0x1001000));
});
