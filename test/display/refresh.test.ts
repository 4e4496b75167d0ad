/**
 * A display's refresh rate (Linux.create's `display.refresh`, MachineOptions.display.refresh):
 * the connector's preferred mode advertises it, and the device's vblank period follows it
 * (the frame coalescing and WAIT_VBLANK use that period). The repaint benchmark sets 240 Hz
 * to measure the frame pipeline above the default 60 Hz's cap (bench/browser-desktop.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMachine } from '../../src/engine/machine.js';

for (const hz of [undefined, 120, 240]) {
  test(`a ${hz ?? 'default (60)'} Hz display: the preferred mode and the vblank clock`, async () => {
    const m = await createMachine({ display: { width: 1024, height: 768, ...(hz ? { refresh: hz } : {}) } });
    const want = hz ?? 60;
    assert.equal(m.display!.refresh, want);
    const dev = m.kernel.drmCard!;
    assert.equal(dev.modes[0].vrefresh, want);
    assert.equal(dev.modes[0].hdisplay, 1024);
    assert.equal(dev.modes[0].vdisplay, 768);
    // Two vblank readings a period apart are one count apart (the clock is CLOCK_MONOTONIC's).
    const a = dev.vblank();
    await new Promise((r) => setTimeout(r, 1000 / want + 5));
    assert.ok(dev.vblank().seq > a.seq, 'the vblank count advances within one period');
  });
}
