/**
 * The run loop's early probes (src/engine/cpu/interp.ts, cpu/tier.ts Tier.probe): a block
 * without a translation is offered to the tier at each power of two of its entries from
 * `probe` up to the hot count (mask + 1), then at every multiple of the hot count as before,
 * so the JIT can attach a translation it already has (its translation cache) after 32 entries
 * instead of 1,024 (jit.ts PROBE_HITS; docs/BENCHMARKS.md "Session 11: warm attach").
 * Once the tier attaches one, the block is entered translated and never offered again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, MAP_PRIVATE } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { EIP, ESP } from '../../src/engine/cpu/state.js';
import { run } from '../../src/engine/cpu/interp.js';
import type { CodeHost, HotBlock, Tier, Translation } from '../../src/engine/cpu/tier.js';
import type { AddressSpace as Mem } from '../../src/engine/mem/address-space.js';
import { PROBE_HITS } from '../../src/engine/jit/jit.js';

const CODE = 0x400000, STACK = 0x300000, LOOP = CODE + 5;
/** mov ecx, 3000; L: dec ecx; jnz L; int 0x80 (ends the run). The first block runs through L once; the block at L is entered by the jnz 2,999 times. */
function loop(): Cpu {
  const mem = new AddressSpace(0x1000000);
  mem.map(CODE, 0x1000, 5, MAP_PRIVATE);
  mem.map(STACK, 0x1000, 3, MAP_PRIVATE);
  mem.u8.set([0xb9, 0xb8, 0x0b, 0x00, 0x00, 0x49, 0x75, 0xfd, 0xcd, 0x80], CODE);
  const c = new Cpu(mem);
  c.s[EIP] = CODE;
  c.s[ESP] = STACK + 0x800;
  return c;
}

/** A tier that records the entry counts at which the block at L was offered, attaching a translation at `attachAt` (one that runs nothing: the interpreter goes on). */
class Recorder implements Tier {
  readonly mask = 1023;
  readonly seen: number[] = [];
  entered = 0;
  constructor(readonly probe: number, private readonly attachAt = -1) {}
  request(_host: CodeHost, _mem: Mem, b: HotBlock): void {
    if (b.start !== LOOP) return;
    this.seen.push(b.hits);
    if (b.hits === this.attachAt) b.jit = { valid: true, pages: [] } satisfies Translation;
  }
  enter(): number { this.entered++; return 0; }
}

test('a block is offered at each power of two of its entries from the probe count to the hot count, then at each multiple of it', () => {
  const t = new Recorder(PROBE_HITS);
  run(loop(), 100_000, t);
  assert.equal(PROBE_HITS, 32);
  assert.deepEqual(t.seen, [32, 64, 128, 256, 512, 1024, 2048]);
});

test('without probes (a probe count no block reaches), only at multiples of the hot count', () => {
  const t = new Recorder(0x40000000);
  run(loop(), 100_000, t);
  assert.deepEqual(t.seen, [1024, 2048]);
});

test('a translation attached at a probe is entered from the next entry on, and the block is not offered again', () => {
  const t = new Recorder(PROBE_HITS, 64);
  run(loop(), 100_000, t);
  assert.deepEqual(t.seen, [32, 64]);
  assert.equal(t.entered, 2999 - 64);
});
