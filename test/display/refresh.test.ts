/**
 * A display's refresh rate (Linux.create's `display.refresh`, MachineOptions.display.refresh):
 * the connector's preferred mode advertises it, and the device's vblank period follows it
 * (the frame coalescing and WAIT_VBLANK use that period). The repaint benchmark sets 240 Hz
 * to measure the frame pipeline above the default 60 Hz's cap (bench/browser-desktop.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMachine } from '../../src/engine/machine.js';
import { displayProblem } from '../../src/host/worker/display-options.js';

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

test('a bad refresh rate or size is refused with what is wrong (the API and the worker both check it)', () => {
  assert.equal(displayProblem(1024, 768), null);
  assert.equal(displayProblem(1024, 768, 60), null);
  assert.equal(displayProblem(1, 1, 1000), null);
  for (const hz of [0, -60, 59.94, 1001, Number.NaN]) assert.equal(displayProblem(1024, 768, hz), `refresh is whole Hz from 1 to 1000, got ${hz}`);
  for (const [w, h] of [[0, 768], [1024, 16385], [10.5, 768]]) assert.equal(displayProblem(w, h, 60), `width and height are whole pixels from 1 to 16384, got ${w}x${h}`);
});
