/**
 * The card's hotplug and its sysfs/dev entries, as a program sees them (uevent.c): a
 * resize of the host display sends one "change" uevent for card0, in the kernel's format
 * and key order (kobject_uevent_env: ACTION, DEVPATH, SUBSYSTEM, the caller's HOTPLUG=1,
 * dev_uevent's MAJOR/MINOR/DEVNAME/DEVTYPE, SEQNUM), from port 0 with root's credentials,
 * to the kernel group and to udevd's group (the machine plays udevd: libudev listens
 * there), and nothing to an unsubscribed socket; then the connector's modes follow the new
 * size, and the sysfs links libudev walks (shared/reference/kms §1.3) resolve.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildC } from '../support/build.js';
import { createMachine } from '../../src/engine/machine.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';

const EVENT = 'change@/devices/platform/webx86-kms/drm/card0|ACTION=change|DEVPATH=/devices/platform/webx86-kms/drm/card0|SUBSYSTEM=drm|HOTPLUG=1|MAJOR=226|MINOR=0|DEVNAME=dri/card0|DEVTYPE=drm_minor|SEQNUM=1|';
const EXPECTED = [
  '/sys/class/drm/card0-Virtual-1/modes: 1024x768 800x600 640x480 ',
  'ready',
  `kernel group: 194 bytes from pid 0 groups 1, creds yes uid 0: ${EVENT}`,
  `udev group: 194 bytes from pid 0 groups 2, creds yes uid 0: ${EVENT}`,
  'no group: -1 Resource temporarily unavailable',
  '/sys/class/drm/card0-Virtual-1/modes: 800x600 640x480 ',
  '/sys/class/drm/card0-Virtual-1/status: connected ',
  '/sys/class/drm/card0 -> ../../devices/platform/webx86-kms/drm/card0',
  '/sys/class/drm/card0/uevent: MAJOR=226 MINOR=0 DEVNAME=dri/card0 DEVTYPE=drm_minor ',
  '/sys/class/drm/card0/dev: 226:0 ',
  '/sys/class/drm/card0/subsystem -> ../../../../../class/drm',
  '/sys/dev/char/226:0 -> ../../devices/platform/webx86-kms/drm/card0',
  '/sys/dev/char/226:0/device/uevent: DRIVER=webx86-kms MODALIAS=platform:webx86-kms ',
  '/sys/bus/platform/devices/webx86-kms -> ../../../devices/platform/webx86-kms',
  '/dev/dri/by-path/platform-webx86-kms-card -> ../card0',
  'subsystem link resolves: 1',
  'by-path: char 1 226:0',
];

let out = '';
before(async () => {
  const bin = buildC(new URL('./uevent.c', import.meta.url).pathname);
  const m = await createMachine({ display: { width: 1024, height: 768 }, jit: envJit() });
  await m.kernel.vfs.writeFile('/uevent', readFileSync(bin), 0o755);
  const o = new CaptureFile();
  const p = await m.kernel.spawn('/uevent', { argv: ['uevent'], stdio: [new InputFile(new Uint8Array()), o, o] });
  assert.notEqual(typeof p, 'number');
  const iv = setInterval(() => { if (o.text().includes('ready')) { clearInterval(iv); m.kernel.display!.resize(800, 600); } }, 20);
  await m.kernel.sched.run();
  clearInterval(iv);
  out = o.text();
});

test('a display resize is a card0 change uevent to both uevent groups, with the new modes and the sysfs tree libudev walks', () => {
  assert.deepEqual(out.trimEnd().split('\n'), EXPECTED);
});
