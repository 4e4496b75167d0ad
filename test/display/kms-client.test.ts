/**
 * A KMS client in C (kms-client.c: the uapi headers, ioctls by hand) against the engine's
 * /dev/dri/card0: its transcript is compared line by line with what shared/reference/kms
 * documents (ioctl numbers and layouts, the answers Xorg was verified against, the
 * reference trace's 1x1 and 1024x768 dumb-buffer layouts) and the kernel functions it
 * names for the error cases (drm_mode_setcrtc, drm_mode_addfb2, drm_gem_mmap ...); then the
 * display sink is checked for what the program drew, flipped to, and its cursor.
 * No Linux with a DRM device runs here, so the expectation is written from those sources.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildC } from '../support/build.js';
import { createMachine } from '../../src/engine/machine.js';
import { debianPackage } from '../../src/host/node/debian-packages.js';
import { CaptureFile, InputFile, envJit } from '../support/guest.js';
import { ScreenSink } from './screen-sink.js';

const SRC = new URL('./kms-client.c', import.meta.url).pathname;
let out = '';
let status = -1;
const sink = new ScreenSink();
let skip: string | false = false;
const internalErrors: string[] = [];

before(async () => {
  let inc: string;
  try {
    inc = `${debianPackage('libdrm-dev')}/root/usr/include/libdrm`;
  } catch (e) {
    skip = `libdrm-dev (uapi headers) could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  const bin = buildC(SRC, [`-I${inc}`]);
  const m = await createMachine({ display: { width: 1024, height: 768 }, jit: envJit(), debug: (w) => { if (w.includes('internal error')) internalErrors.push(w); } });
  m.kernel.display!.sink = sink;
  await m.kernel.vfs.writeFile('/kms-client', readFileSync(bin), 0o755);
  const o = new CaptureFile(), e = new CaptureFile();
  const p = await m.kernel.spawn('/kms-client', { argv: ['kms-client'], stdio: [new InputFile(new Uint8Array()), o, e] });
  assert.notEqual(typeof p, 'number');
  m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  await m.kernel.sched.run();
  out = o.text() + e.text();
});

/** The transcript, line by line; the notes name the source of the less obvious answers. */
const EXPECTED = [
  'node chr=1 226:0',
  'version 0 1.0.0 name_len=6 date_len=8 desc_len=26',
  'version 0 name=webx86',
  'version short buffer 0 name=web name_len=6',  // drm_copy_field: copies what fits, reports the full length
  'version bad pointer EFAULT',
  'cap DUMB_BUFFER 0 1',
  'cap DUMB_PREFERRED_DEPTH 0 24',
  'cap DUMB_PREFER_SHADOW 0 0',
  'cap PRIME 0 0',
  'cap TIMESTAMP_MONOTONIC 0 1',
  'cap ASYNC_PAGE_FLIP 0 0',
  'cap CURSOR_WIDTH 0 64',
  'cap CURSOR_HEIGHT 0 64',
  'cap ADDFB2_MODIFIERS 0 0',
  'cap CRTC_IN_VBLANK_EVENT 0 1',
  'cap 0x99 EINVAL 0',  // drm_getcap: unknown capability
  'client cap ATOMIC EOPNOTSUPP',  // drm_setclientcap without DRIVER_ATOMIC
  'client cap UNIVERSAL_PLANES=2 EINVAL',
  'resources 0 fbs=0 crtcs=1 connectors=1 encoders=1 min=1x1 max=8192x8192',
  'resources 0 crtc=33 connector=31 encoder=32',
  'connector 0 type=15 type_id=1 connection=1 modes=3 props=4 encoders=1 mm=271x203 subpixel=0',  // reference §2.4: VIRTUAL connector, 96 dpi (271x203 mm)
  'connector 0 encoder0=32',
  'mode 1024x768 65000 1024 1048 1184 1344 768 771 777 806 vrefresh=60 flags=0xa type=0x48',  // reference §2.4: VESA 1024x768@60, NHSYNC|NVSYNC, PREFERRED|DRIVER
  'mode 800x600 40000 800 840 968 1056 600 601 605 628 vrefresh=60 flags=0x5 type=0x40',
  'mode 640x480 25175 640 656 752 800 480 490 492 525 vrefresh=60 flags=0xa type=0x40',
  'property 1 0 EDID flags=0x14 value=0 values=0 enums=0:',
  'property 2 0 DPMS flags=0x8 value=0 values=4 enums=4: 0=On 1=Standby 2=Suspend 3=Off',
  'property 3 0 link-status flags=0x8 value=0 values=2 enums=2: 0=Good 1=Bad',
  'property 4 0 non-desktop flags=0x6 value=0 values=2 enums=0: 0 1',
  'property 9999 ENOENT',
  'encoder 0 type=5 crtc=0 possible_crtcs=1 possible_clones=1',
  'crtc 0 fb=0 mode_valid=0 gamma_size=256',
  'crtc properties 0 count=0',
  'connector properties 0 count=4',
  'encoder properties EINVAL',  // drm_mode_obj_get_properties_ioctl: no property list
  'crtc as connector properties ENOENT',
  'planes 0 count=0',
  'create 1x1 0 handle=1 pitch=64 size=4096',  // reference trace: CREATE_DUMB 1x1 -> pitch 64 size 4096
  'addfb 1x1 0 fb=id',
  'rmfb 0',
  'rmfb again ENOENT',
  'destroy 0',
  'destroy again EINVAL',  // drm_gem_handle_delete
  'create 0x10 EINVAL',
  'create 100000x100000 EINVAL',  // drm_mode_create_dumb: 32-bit size overflow
  'create 16384x16384 ENOMEM',  // over the device's dumb memory (DUMB_MEMORY_LIMIT)
  'create 1024x768 0 pitch=4096 size=3145728',  // reference trace: pitch 4096 size 3145728
  'map 0 page_aligned=1',
  'map bad handle ENOENT',
  'mmap past the buffer EINVAL',  // drm_gem_mmap: no offset node covers the range
  'mmap inside the buffer EINVAL',
  'mmap private EINVAL',  // no copy-on-write mappings of dumb buffers
  'mmap no buffer EINVAL',
  'mmap ok',
  'fresh buffer zero=1',
  'addfb depth 8 EINVAL',  // drm_driver_legacy_fb_format (32, 8) is invalid
  'addfb no such handle ENOENT',
  'addfb small pitch EINVAL',
  'addfb taller than the buffer EINVAL',
  'addfb 0',
  'getfb 0 1024x768 pitch=4096 bpp=32 depth=24 same_handle=1',
  'resources fbs=1',
  'second file setcrtc EACCES',  // drm_ioctl_permit: DRM_MASTER
  'second file set master EBUSY',  // drm_setmaster_ioctl: another master
  'second file drop master EINVAL',  // drm_dropmaster_ioctl: not master
  "second file mmap of the first's buffer EACCES",  // drm_vma_node_is_allowed
  'setcrtc no such fb ENOENT',
  'setcrtc x out of range ERANGE',  // drm_mode_setcrtc: 16.16 source coordinates
  'setcrtc viewport past the fb ENOSPC',  // drm_crtc_check_viewport
  'setcrtc mode without connectors EINVAL',
  'setcrtc on a connector id ENOENT',
  'setcrtc 0',
  'crtc fb=current:1 mode_valid=1 mode=1024x768',
  'encoder crtc=33',
  'dirtyfb fb 0 ENOENT',  // reference §2.4: Xorg's probe gets ENOENT and keeps using DIRTYFB
  'dirtyfb 0',
  'dirtyfb 300 clips EINVAL',  // DRM_MODE_FB_DIRTY_MAX_CLIPS
  'dirtyfb clips without pointer EINVAL',
  'dirtyfb bad clip pointer EFAULT',
  'wait vblank +2 0 advanced=1',
  'wait vblank signal EINVAL',
  'wait vblank event 0',
  'poll 1 revents=0x1',
  'read short buffer 0',  // drm_read: an event that does not fit is left queued
  'read 32 type=1 length=32 user_data=0x5678 crtc=33',
  'page flip 0',
  'page flip again EBUSY',  // a flip is pending
  'flip event 32 type=2 user_data=0x1234 crtc=33',
  'page flip async EINVAL',
  'page flip bad flags EINVAL',
  'read nothing queued -1 EAGAIN',  // O_NONBLOCK
  'page flip back 0',
  'flip event 32 user_data=2',
  'cursor2 0',
  'cursor move 0',
  'cursor no flags EINVAL',
  'cursor 65x65 EINVAL',
  'dpms off 0',
  'dpms on 0',
  'dpms 7 EINVAL',
  'set immutable EINVAL',
  'getgamma 0 r[255]=65535',
  'setgamma wrong size EINVAL',
  'nr 0xff EINVAL',  // drm_ioctl: no such ioctl
  'driver-private nr 0x40 EINVAL',
  'GETCRTC at a bad address EFAULT',
  'PRIME handle to fd ENOSYS',
  'gem close unknown EINVAL',
  'write -1 EINVAL',  // drm_fops has no write
  'after close crtc fb=0 mode_valid=0',  // drm_fb_release turned the CRTC off
  'mapping still readable pixel=0xe800e8',
];

test('a KMS client driving the ioctls by hand gets the answers the reference and the kernel give', (t) => {
  if (skip) return t.skip(skip);
  const lines = out.trimEnd().split('\n');
  for (let i = 0; i < Math.max(lines.length, EXPECTED.length); i++) assert.equal(lines[i], EXPECTED[i], `line ${i + 1}`);
  assert.equal(status, 0);
  assert.deepEqual(internalErrors, []);
});

test('the sink shows what the client drew, its cursor plane, and blanks when the device closes', (t) => {
  if (skip) return t.skip(skip);
  assert.deepEqual(sink.sizes, ['1024x768']);
  // The last frame (the flip back to the patterned buffer): R = x, G = y, B = x ^ y, with the 16x16 magenta patch.
  let bad = 0;
  for (let y = 0; y < 768; y++) {
    for (let x = 0; x < 1024; x++) {
      const want = x < 16 && y < 16 ? [255, 0, 255] : [x & 255, y & 255, (x ^ y) & 255];
      if (sink.rgb(x, y).join() !== want.join()) bad++;
    }
  }
  assert.equal(bad, 0, `${bad} pixels differ`);
  const c = sink.cursorImage!;
  assert.deepEqual([c.width, c.height, c.hotX, c.hotY], [64, 64, 3, 4]);
  assert.deepEqual([...c.pixels.subarray(0, 4)], [0, 0, 255, 255]); // 0xffff0000: opaque red
  assert.deepEqual([...c.pixels.subarray(64 * 40 * 4, 64 * 40 * 4 + 4)], [0, 0, 0, 0]);
  // Top-left (100, 50) + hotspot (3, 4).
  assert.deepEqual(sink.cursorPos, [103, 54]);
  // DPMS off, and the close while scanning out.
  assert.equal(sink.blanks, 2);
});

test('garbage ioctls, mmaps and reads on the device: answered with errors, never an engine exception', async (t) => {
  if (skip) return t.skip(skip);
  const bin = buildC(new URL('./kms-fuzz.c', import.meta.url).pathname, [`-I${debianPackage('libdrm-dev')}/root/usr/include/libdrm`]);
  const warnings: string[] = [];
  const m = await createMachine({ display: { width: 640, height: 480 }, jit: envJit(), debug: (w) => warnings.push(w) });
  m.kernel.display!.sink = new ScreenSink();
  await m.kernel.vfs.writeFile('/kms-fuzz', readFileSync(bin), 0o755);
  const o = new CaptureFile();
  let st = -1;
  const p = await m.kernel.spawn('/kms-fuzz', { argv: ['kms-fuzz'], stdio: [new InputFile(new Uint8Array()), o, o] });
  assert.notEqual(typeof p, 'number');
  m.kernel.sched.onProcessExit = (q) => { if (q === p) st = q.exitStatus; };
  await m.kernel.sched.run();
  assert.match(o.text(), /^\d+ calls, some succeeded: 1; afterwards GETRESOURCES 0 connectors 1\n$/, o.text());
  assert.equal(st, 0);
  // The kernel turns an exception in a system call into EFAULT and a warning: there must be none.
  assert.deepEqual(warnings.filter((w) => w.includes('internal error')), []);
});
