/**
 * Unmodified Xorg 21.1.7 with xf86-input-evdev on the engine's /dev/input/event0-1 (and the
 * DRM device's /dev/dri/card0): `xev -root` prints what X made of events injected through
 * Display.input — a click at pixel (100,200), a move to the far corner, KEY_A as keycode 38 "a".
 *
 * It needs the KMS branch (src/engine/display/drm/ and its test/display/xorg-root.ts, the
 * Debian root Xorg runs in); until that is merged it skips, saying so. Checked on a scratch
 * merge of both branches: green, and red with the pointer mapping shifted by 64 units
 * (xev then reports (102,201)). xev cannot say when it is listening, so the events are
 * offered in rounds until one reached it; the last round must be whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMachine } from '../../src/engine/machine.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import { debianRoot } from '../../src/host/node/debian-packages.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';
import { existsSync } from 'node:fs';
import type { DisplaySink } from '../../src/engine/display/display.js';
import { XORG_CONF } from '../../src/host/node/image/presets.js';

/** The KMS branch's Xorg root package list, if it is here. */
async function xorgPackages(): Promise<readonly string[] | null> {
  const file = new URL('./xorg-root.ts', import.meta.url);
  if (!existsSync(file)) return null;
  const mod = (await import(file.href)) as { XORG_ROOT_PACKAGES?: readonly string[] };
  return mod.XORG_ROOT_PACKAGES ?? null;
}

/** The pixels are not looked at here (the KMS tests do): a sink that drops them. */
const nullSink: DisplaySink = { frame() {}, cursor() {}, cursorMove() {}, blank() {} };


const SCRIPT = `
/usr/lib/xorg/Xorg :0 -noreset -nolisten tcp -logfile /tmp/Xorg.0.log &
XPID=$!
for i in $(seq 600); do xdpyinfo -display :0 >/tmp/info 2>/dev/null && break; sleep 0.2; done
stdbuf -oL xev -root -display :0 >/tmp/xev 2>&1 &
XEV=$!
sleep 2
# xev has no way to say it is listening: offer rounds until one reached it.
for i in $(seq 10); do
  echo "--- ready $i"
  while [ ! -e /tmp/injected-$i ]; do sleep 0.2; done; sleep 2
  grep -q KeyRelease /tmp/xev && break
done
kill $XEV
echo '--- xev'; cat /tmp/xev
echo '--- log'; grep -i "evdev\\|input\\|browser" /tmp/Xorg.0.log
kill $XPID; wait $XPID; echo "xorg exit $?"
`;

test('Xorg with evdev: keys and clicks reach X', { timeout: 600_000 }, async (t) => {
  const packages = await xorgPackages();
  if (!packages) { t.skip('needs the KMS branch (test/display/xorg-root.ts and /dev/dri/card0): not merged yet'); return; }
  const root = debianRoot('xorg-evdev-kmsui', [...packages, 'xserver-xorg-input-evdev', 'libevdev2', 'libmtdev1']);
  mkdirSync(join(root, 'etc/X11'), { recursive: true });
  writeFileSync(join(root, 'etc/X11/xorg.conf'), XORG_CONF);
  const internal: string[] = [];
  const m = await createMachine({ root: new HostFs(root), display: { width: 1024, height: 768 }, jit: envJit(), debug: (w) => { if (/internal error/i.test(w)) internal.push(w); } });
  if (typeof (await m.kernel.vfs.stat(null, -100, '/dev/dri/card0')) === 'number') { t.skip('no /dev/dri/card0: the KMS device is not merged yet'); return; }
  const display = m.display!;
  display.sink = nullSink;
  const o = new CaptureFile(), e = new CaptureFile();
  let rounds = 0;
  const poll = setInterval(() => {
    const asked = o.text().split('--- ready').length - 1;
    if (asked <= rounds) return;
    rounds = asked;
    const inp = display.input!;
    inp.keyboard([{ type: 1, code: 30, value: 1 }]);
    inp.keyboard([{ type: 1, code: 30, value: 0 }]);
    inp.pointer([{ type: 3, code: 0, value: 100 }, { type: 3, code: 1, value: 200 }]);
    inp.pointer([{ type: 3, code: 0, value: 100 }, { type: 3, code: 1, value: 200 }, { type: 1, code: 0x110, value: 1 }]);
    inp.pointer([{ type: 1, code: 0x110, value: 0 }]);
    inp.pointer([{ type: 3, code: 0, value: 1023 }, { type: 3, code: 1, value: 767 }]);
    void m.kernel.vfs.writeFile(`/tmp/injected-${rounds}`, new Uint8Array(0), 0o644);
  }, 50);
  const p = await m.kernel.spawn('/bin/bash', { argv: ['bash', '-c', SCRIPT], env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C'], cwd: '/', stdio: [new InputFile(new Uint8Array()), o, e] });
  assert.notEqual(typeof p, 'number');
  const cpu0 = process.cpuUsage();
  await m.kernel.sched.run();
  clearInterval(poll);
  const cpu = process.cpuUsage(cpu0);
  const out = o.text();
  const xev = (out.split('--- xev\n')[1] ?? '').split('--- log\n')[0];
  const log = out.split('--- log\n')[1] ?? '';
  console.log(`Xorg with evdev: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms engine CPU`);
  assert.deepEqual(internal, [], 'no internal errors');
  // xf86-input-evdev took both devices as the reference says (an absolute touchscreen, a keyboard).
  assert.match(log, /browser-pointer: Configuring as touchscreen/, log);
  assert.match(log, /browser-keyboard: Configuring as keyboard/, log);
  assert.match(log, /browser-pointer: initialized for absolute axes/, log);
  // What X made of the injected events, in xev's words.
  const events = xev.split(/\n\s*\n/).map((b) => b.trim()).filter((b) => /^\w+ event,/.test(b)).map((b) => {
    const type = b.split(' ')[0];
    const at = /\((\d+),(\d+)\)/.exec(b)!;
    const button = /button (\d+)/.exec(b);
    const key = /keycode (\d+) \(keysym 0x\w+, (\w+)\)/.exec(b);
    return [type, at[1], at[2], button ? `button ${button[1]}` : key ? `key ${key[1]} ${key[2]}` : ''].join(' ').trim();
  });
  // The last round is whole (an earlier one may have started before xev listened).
  assert.deepEqual(events.filter((e) => !e.startsWith('Key')).slice(-4), [
    'MotionNotify 100 200', 'ButtonPress 100 200 button 1', 'ButtonRelease 100 200 button 1', 'MotionNotify 1023 767',
  ], xev);
  // KEY_A is X keycode 38 (evdev + 8), keysym a.
  assert.deepEqual(events.filter((e) => e.startsWith('Key')).map((e) => e.replace(/ \d+ \d+ /, ' ')).slice(-2), ['KeyPress key 38 a', 'KeyRelease key 38 a'], xev);
});
