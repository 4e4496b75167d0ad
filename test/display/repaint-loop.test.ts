/**
 * A guest that redraws without ever blocking still gets its frames to the page and the
 * page's input: frames, the page's acknowledgements and input all travel through the
 * worker's event loop, which the guest keeps busy (test/linux/run-loop.test.ts checks that
 * the run loop gives the host turns; in Node a slow slice gave them often enough that this
 * file passed without that fix, so it guards the display's side of the path). The real
 * worker end of the display (host/worker/display-port.ts) runs on a MessageChannel whose
 * other end stands in for the page (it acknowledges each frame at once, as KmsScreen does
 * after painting); the guest (c/redraw-until-key.c) reports the whole screen with DIRTYFB in
 * a loop and reads /dev/input/event0 without blocking between reports. The "page" presses a
 * key after it has been sent PAGE_FRAMES frames; the guest stops at the key or after its
 * report budget. Nothing is timed: the budget is far more reports than the frames take (a
 * frame per refresh needs a few event-loop turns; the guest makes hundreds of reports per
 * refresh), and a frame that is never acknowledged or resent stops the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMachine } from '../../src/engine/machine.js';
import { debianPackage } from '../../src/host/node/debian-packages.js';
import { MessageChannel } from 'node:worker_threads';
import type { Display } from '../../src/engine/display/display.js';
import { buildC } from '../support/build.js';
import { CaptureFile, InputFile } from '../support/guest.js';

// The worker's module is typed against the DOM (tsconfig.web.json); Node runs it as is.
const { DisplayPort } = await import('../../src/host/worker/display-port.js' as string) as {
  DisplayPort: new (d: Display, port: unknown) => { close(): void };
};

const PAGE_FRAMES = 5;
/**
 * The guest's report budget. On a quiet machine, in the interpreter, the key came after ~550
 * reports (1024x768, JIT: ~2,100-6,400 before the run loop's fix). A loaded machine
 * slows the guest, not the refresh clock, so it needs fewer reports, not more.
 */
const REPORTS = 20_000;
const KEY_A = 30, EV_KEY = 1;

test('frames keep crossing to the page while a guest redraws without blocking, and its input arrives', async () => {
  const bin = buildC(new URL('./c/redraw-until-key.c', import.meta.url).pathname, [`-I${debianPackage('libdrm-dev')}/root/usr/include/libdrm`]);
  // The interpreter, and a small screen: the guest's pace does not depend on compiles or copies.
  const m = await createMachine({ display: { width: 160, height: 120 }, jit: 'off' });
  await m.kernel.vfs.writeFile('/redraw', readFileSync(bin), 0o755);
  const ch = new MessageChannel();
  const port = new DisplayPort(m.display!, ch.port1);
  let frames = 0;
  ch.port2.on('message', (msg: { type: string }) => {
    if (msg.type !== 'frame') return;
    frames++;
    if (frames === PAGE_FRAMES) ch.port2.postMessage({ type: 'input', device: 'keyboard', events: [{ type: EV_KEY, code: KEY_A, value: 1 }, { type: EV_KEY, code: KEY_A, value: 0 }] });
    ch.port2.postMessage({ type: 'frameDone' });
  });
  const out = new CaptureFile(), err = new CaptureFile();
  const p = await m.kernel.spawn('/redraw', { argv: ['/redraw', String(REPORTS)], stdio: [new InputFile(new Uint8Array()), out, err] });
  assert.equal(typeof p, 'object', `spawn failed: ${String(p)}`);
  let status = -1;
  m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  try {
    await m.kernel.sched.run();
  } finally {
    port.close();
    ch.port2.close();
  }
  assert.equal(status, 0, err.text());
  assert.match(out.text(), /^key after \d+\n$/, `the key never reached the guest; frames the page got: ${frames}`);
  assert.ok(frames >= PAGE_FRAMES, `${frames} frames`);
});
