/**
 * Region blocks split where another block of the region starts (region.ts formRegion, session
 * 13). A block is decoded from its start to a terminator, so code that falls through into a
 * loop's header also held the header's instructions and branched from that copy into the
 * loop's body: the loop had two entries, codegen.ts found it irreducible and cut its back edge
 * through the dispatcher D, which the loop then took every iteration (busybox gzip's
 * longest_match). Split, the code before the loop ends at the header and runs into it, the
 * header dominates its loop, and the function needs no dispatcher (its module lists no other
 * entry points). Red with WEBX86_JIT_SPLIT=off: the blocks overlap and the module has D. A
 * block whose copy enters a loop only at its header (a loop of one block) stays whole: a split
 * costs what spans it (a shared check group, deferred flags; busybox sha256sum's round loop).
 * That the translated code still runs as native is the other JIT tests' business (loops.c,
 * conds.c, the integer rows' outputs): every loop entered by falling through is such a region.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../src/engine/mem/address-space.js';
import { formRegion } from '../../src/engine/jit/region.js';
import { generate, moduleEntries } from '../../src/engine/jit/codegen.js';
import { loadBinaryenNode } from '../../src/host/node/binaryen-load.js';

const AT = 0x401000;
// mov ecx, 10 ; L: dec ecx ; jz out ; inc eax ; inc eax ; jmp L ; out: ret
const CODE = [0xb9, 0x0a, 0x00, 0x00, 0x00, 0x49, 0x74, 0x04, 0x40, 0x40, 0xeb, 0xf9, 0xc3];
const L = AT + 5;

test('a block running into a loop\'s header ends there: no instruction in two blocks, the header dominates its loop, no dispatcher', async () => {
  const mem = new AddressSpace(1 << 24);
  mem.map(AT, 0x2000, PROT_READ | PROT_EXEC, 0x22);
  mem.u8.set(CODE, AT);
  const r = formRegion(mem, AT, () => true)!;
  assert.deepEqual([...r.blocks.keys()].sort((a, b) => a - b), [AT, L, AT + 8, AT + 12]);
  const first = r.blocks.get(AT)!;
  assert.equal(first.end, L, 'the entry block ends at the loop header');
  assert.equal(first.terminated, false);
  assert.deepEqual(first.insns.map((d) => d.at), [AT]);
  const seen = new Set<number>();
  for (const b of r.blocks.values()) for (const d of b.insns) { assert.ok(!seen.has(d.at), `${d.at.toString(16)} in two blocks`); seen.add(d.at); }
  const bn = await loadBinaryenNode();
  const mod = new WebAssembly.Module(generate(bn, r, mem.permBase).bytes as Uint8Array<ArrayBuffer>);
  assert.deepEqual(moduleEntries(mod), [], 'the loop needs no dispatcher');
});

test('a block whose copy of a loop\'s header enters that loop only at the header stays whole', () => {
  const mem = new AddressSpace(1 << 24);
  mem.map(AT, 0x2000, PROT_READ | PROT_EXEC, 0x22);
  // mov ecx, 10 ; L: dec ecx ; jnz L ; ret
  mem.u8.set([0xb9, 0x0a, 0x00, 0x00, 0x00, 0x49, 0x75, 0xfd, 0xc3], AT);
  const r = formRegion(mem, AT, () => true)!;
  assert.ok(r.blocks.has(L));
  const first = r.blocks.get(AT)!;
  assert.equal(first.terminated, true);
  assert.deepEqual(first.insns.map((d) => d.at), [AT, L, L + 1]);
});
