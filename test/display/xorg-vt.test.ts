/**
 * Xorg on a machine with a console: /dev/tty0 exists (major 4), so Xorg takes the virtual
 * terminal (tty/vt.ts) as on Linux (shared/reference/kms §4.1). The machine's only VT is
 * the console, in use by the shell, so VT_OPENQRY finds no free VT and Xorg stops with its
 * own message; with `vt1` it takes tty1: VT_ACTIVATE/WAITACTIVE, VT_SETMODE (VT_PROCESS),
 * KDSETMODE KD_GRAPHICS (the host is told), KDSKBMODE K_OFF, and at exit back to
 * KD_TEXT and the keyboard mode it found.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMachine, spawnOnConsole } from '../../src/engine/machine.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import type { HostTerminal } from '../../src/engine/tty/console.js';
import { KD_TEXT, K_UNICODE } from '../../src/engine/tty/vt.js';
import { envJit } from '../support/guest.js';
import { ScreenSink } from './screen-sink.js';
import { XORG_CONF, xorgRoot } from './xorg-root.js';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let screen = '';
const graphics: boolean[] = [];
const sink = new ScreenSink();
let vtAfter: { kd: number; kb: number } | null = null;
let skip: string | false = false;

before(async () => {
  let root: string;
  try { root = xorgRoot(); } catch (e) { skip = `Debian packages: ${(e as Error).message.split('\n')[0]}`; return; }
  mkdirSync(join(root, 'etc/X11'), { recursive: true });
  const tmp = join(root, `etc/X11/.xorg.conf.${process.pid}`);
  writeFileSync(tmp, XORG_CONF);
  renameSync(tmp, join(root, 'etc/X11/xorg.conf'));
  const term: HostTerminal = {
    write: (b) => { screen += Buffer.from(b).toString(); },
    onInput: () => {},
    size: () => ({ rows: 24, cols: 80 }),
    onResize: () => {},
  };
  const m = await createMachine({ root: new HostFs(root), terminal: term, display: { width: 1024, height: 768 }, jit: envJit() });
  m.kernel.display!.sink = sink;
  m.console!.vt.graphicsListeners.push((g) => graphics.push(g));
  const script = `
/usr/lib/xorg/Xorg :0 -retro -logfile /tmp/a.log; echo "without vt1: $?"; grep -m1 'free VT' /tmp/a.log
/usr/lib/xorg/Xorg :0 vt1 -retro -noreset -logfile /tmp/b.log &
for i in $(seq 600); do xdpyinfo -display :0 >/dev/null 2>&1 && break; sleep 0.2; done
echo "up: $(xdpyinfo -display :0 | grep dimensions)"
kill %1; wait %1; echo "with vt1: $?"
`;
  const p = await spawnOnConsole(m, '/bin/bash', { argv: ['bash', '-c', script], env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LC_ALL=C'] });
  assert.notEqual(typeof p, 'number');
  await m.kernel.sched.run();
  vtAfter = { kd: m.console!.vt.kdMode, kb: m.console!.vt.kbMode };
});

test('with a console, Xorg needs vt1 (no free VT), then takes the VT into graphics mode and gives it back', (t) => {
  if (skip) return t.skip(skip);
  assert.match(screen, /without vt1: 1/, screen);
  assert.match(screen, /parse_vt_settings: Cannot find a free VT/);
  assert.match(screen, /up: +dimensions: +1024x768 pixels/);
  assert.match(screen, /with vt1: 0/);
  assert.deepEqual(graphics, [true, false]);
  assert.deepEqual(vtAfter, { kd: KD_TEXT, kb: K_UNICODE });
  assert.equal(sink.sizes[0], '1024x768');
});
