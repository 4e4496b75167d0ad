/**
 * The evdev devices (/dev/input/event0 keyboard, event1 pointer) driven by a real i386
 * program (test/display/c/evdev.c, gcc -m32): every EVIOC* answer is compared with what
 * <linux/input.h> and drivers/input/evdev.c define (the program prints the header
 * constants it was built with), and events injected through Display.input arrive as
 * 16-byte struct input_event through poll and read. No native reference runs: this
 * machine has no /dev/input (nor uinput), so the kernel's rules are the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMachine, addDisplay, type Machine } from '../../src/engine/machine.js';
import { buildC } from '../support/build.js';
import { CaptureFile, InputFile } from '../support/guest.js';
import { ABS_RANGE, pixelToAbs } from '../../src/engine/display/input/devices.js';

const SRC = new URL('./c/evdev.c', import.meta.url).pathname;
const EV_SYN = 0, EV_KEY = 1, EV_REL = 2, EV_ABS = 3, EV_LED = 0x11, EV_REP = 0x14;
const ENOENT = 2, EINVAL = 22, EAGAIN = 11, EBUSY = 16, ENOSYS = 38;

async function boot(display: { width: number; height: number } | null): Promise<Machine> {
  const m = await createMachine({ jit: 'off', display: display ?? undefined });
  await m.kernel.vfs.writeFile('/prog', readFileSync(buildC(SRC)), 0o755);
  return m;
}

async function run(m: Machine, args: string[], onOutput?: (text: string) => void): Promise<{ out: string; status: number }> {
  let text = '';
  const out = new (class extends CaptureFile {
    write(t: Parameters<CaptureFile['write']>[0], data: Uint8Array): number {
      const n = super.write(t, data);
      text += new TextDecoder().decode(data);
      onOutput?.(text);
      return n;
    }
  })();
  const p = await m.kernel.spawn('/prog', { argv: ['/prog', ...args], env: [], stdio: [new InputFile(new Uint8Array()), out, new CaptureFile()] });
  assert.equal(typeof p, 'object', `spawn failed: ${String(p)}`);
  let status = -1;
  m.kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus >> 8; };
  await m.kernel.sched.run();
  return { out: text, status };
}

function parse(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && !line.slice(0, i).includes(' ')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** A bitmap (as the kernel lays it out in 32-bit longs) of `len` bytes with `codes` set, in hex. */
function bitmap(len: number, codes: number[]): string {
  const b = new Uint8Array(len);
  for (const c of codes) b[c >> 3] |= 1 << (c & 7);
  return Buffer.from(b).toString('hex');
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('the EVIOC* ioctls answer as <linux/input.h> and evdev.c define them', async () => {
  const m = await boot({ width: 1024, height: 768 });
  const { out, status } = await run(m, ['probe']);
  assert.equal(status, 0, out);
  const r = parse(out);
  const get = (k: string) => { assert.ok(r.has(k), `no ${k} in output:\n${out}`); return r.get(k)!; };
  // The ABI the program was built against.
  assert.equal(get('hdr.event'), '16');
  assert.equal(get('hdr.absinfo'), '24');
  for (const [tag, minor, name, phys, product] of [['kbd', 64, 'webx86 keyboard', 'webx86/input0', 1], ['ptr', 65, 'webx86 pointer', 'webx86/input1', 2]] as const) {
    assert.equal(get(`${tag}.open`), '0');
    assert.equal(get(`${tag}.rdev`), `13:${minor}`, 'input major 13, evdev minors from 64');
    assert.equal(get(`${tag}.chr`), '1');
    assert.equal(get(`${tag}.version.ret`), '0');
    assert.equal(get(`${tag}.version`), get('hdr.version'), 'EVIOCGVERSION is EV_VERSION');
    assert.equal(get(`${tag}.id`), `${Number(get('hdr.BUS_VIRTUAL')).toString(16).padStart(4, '0')}:0000:000${product}:0001`);
    // str_to_user: the length copied, NUL included; a short buffer gets a cut string without NUL.
    assert.equal(get(`${tag}.name.ret`), String(name.length + 1));
    assert.equal(get(`${tag}.name`), name);
    assert.equal(get(`${tag}.name4.ret`), '4');
    assert.equal(get(`${tag}.name4`), name.slice(0, 4));
    assert.equal(get(`${tag}.phys`), phys);
    assert.equal(get(`${tag}.uniq.ret`), String(-ENOENT), 'no unique id: ENOENT');
    // bits_to_user: BITS_TO_LONGS(INPUT_PROP_MAX) longs = 4 bytes, all clear.
    assert.equal(get(`${tag}.prop.ret`), '4');
    assert.equal(get(`${tag}.prop`), '00000000');
    // EVIOCGBIT sizes: BITS_TO_LONGS(*_MAX) * 4 bytes; unknown types and EV_REP: EINVAL.
    const sizes: Record<number, number> = { 0: 4, [EV_KEY]: 96, [EV_REL]: 4, [EV_ABS]: 8, 4: 4, 5: 4, [EV_LED]: 4, 0x12: 4, 0x15: 16 };
    for (let type = 0; type < 32; type++) {
      assert.equal(get(`${tag}.bit${type.toString(16).padStart(2, '0')}.ret`), String(sizes[type] ?? -EINVAL), `EVIOCGBIT(${type})`);
    }
    assert.equal(get(`${tag}.bitkey_old.ret`), '64', 'EVIOCGBIT(EV_KEY, OLD_KEY_MAX) answers the old length');
    assert.equal(get(`${tag}.bitkey4.ret`), '4', 'a short buffer gets what fits');
    assert.equal(get(`${tag}.key.ret`), '96');
    assert.equal(get(`${tag}.led.ret`), '4');
    assert.equal(get(`${tag}.sw.ret`), '4');
    assert.equal(get(`${tag}.snd.ret`), '4');
    assert.equal(get(`${tag}.mtslots.ret`), String(-EINVAL), 'no MT slots');
    assert.equal(get(`${tag}.effects.ret`), '0');
    assert.equal(get(`${tag}.effects`), '0');
    assert.equal(get(`${tag}.rmff.ret`), String(-ENOSYS), 'no force feedback');
    assert.equal(get(`${tag}.grab.ret`), '0');
    assert.equal(get(`${tag}.grab2.ret`), String(-EBUSY), 'a second grab is EBUSY');
    assert.equal(get(`${tag}.ungrab.ret`), '0');
    assert.equal(get(`${tag}.ungrab2.ret`), String(-EINVAL), 'ungrab without a grab is EINVAL');
    assert.equal(get(`${tag}.clock.ret`), '0');
    assert.equal(get(`${tag}.clockbad.ret`), String(-EINVAL));
    assert.equal(get(`${tag}.gmask.ret`), '0');
    assert.equal(get(`${tag}.gmask.first`), 'ff', 'no mask set: all codes pass');
    assert.equal(get(`${tag}.smaskrep.ret`), String(-EINVAL), 'EV_REP has no mask');
    assert.equal(get(`${tag}.bad.ret`), String(-EINVAL), 'an unknown E ioctl is EINVAL');
    assert.equal(get(`${tag}.keycode.ret`), String(-EINVAL), 'no scancode keymap');
    assert.equal(get(`${tag}.tcgets.ret`), String(-EINVAL), 'evdev answers EINVAL to foreign ioctls');
    assert.equal(get(`${tag}.shortread.ret`), String(-EINVAL), 'a read smaller than one event is EINVAL');
    assert.equal(get(`${tag}.emptyread.ret`), String(-EAGAIN));
    assert.equal(get(`${tag}.poll`), '0x4', 'writable (POLLOUT), no input');
  }
  // The keyboard: EV_SYN, EV_KEY, EV_LED, EV_REP; KEY_ESC..KEY_MICMUTE; Num/Caps/Scroll Lock; rep 250/33.
  assert.equal(get('kbd.bit00'), bitmap(4, [EV_SYN, EV_KEY, EV_LED, EV_REP]));
  assert.equal(get('kbd.bit01'), bitmap(96, range(1, 248)));
  assert.equal(get('kbd.bit11'), bitmap(4, [0, 1, 2]));
  assert.equal(get('kbd.rep.ret'), '0');
  assert.equal(get('kbd.rep'), '250,33');
  assert.equal(get('kbd.abs0.ret'), String(-EINVAL), 'no absolute axes');
  // The pointer: EV_KEY buttons, EV_REL wheels, EV_ABS X/Y over 0..32767; no EV_REP.
  const btnLeft = Number(get('hdr.BTN_LEFT'));
  assert.equal(get('ptr.bit00'), bitmap(4, [EV_SYN, EV_KEY, EV_REL, EV_ABS]));
  assert.equal(get('ptr.bit01'), bitmap(96, range(btnLeft, btnLeft + 4)));
  assert.equal(get('ptr.bit02'), bitmap(4, [6, Number(get('hdr.REL_WHEEL'))]));
  assert.equal(get('ptr.bit03'), bitmap(8, [0, 1]));
  assert.equal(get('ptr.rep.ret'), String(-ENOSYS), 'EVIOCGREP without EV_REP is ENOSYS');
  assert.equal(get('ptr.abs0'), `0,0,${ABS_RANGE - 1},0,0,0`);
  assert.equal(get('ptr.abs1'), `0,0,${ABS_RANGE - 1},0,0,0`);
});

test('events injected through Display.input reach readers as struct input_event, in packets', async () => {
  const m = await boot({ width: 800, height: 600 });
  const input = m.display!.input!;
  let injected = false;
  const { out, status } = await run(m, ['5'], (text) => {
    if (injected || !text.includes('READY')) return;
    injected = true;
    setTimeout(() => {
      input.keyboard([{ type: EV_KEY, code: 30, value: 1 }]); // KEY_A down
      input.keyboard([{ type: EV_KEY, code: 30, value: 1 }]); // already down: nothing passes, no empty packet
      input.keyboard([{ type: EV_KEY, code: 30, value: 0 }]);
      input.keyboard([{ type: EV_KEY, code: 0x110, value: 1 }]); // a button is not a keyboard key: dropped
      input.pointer([{ type: EV_ABS, code: 0, value: 799 }, { type: EV_ABS, code: 1, value: 300 }, { type: EV_KEY, code: 0x110, value: 1 }]);
      input.pointer([{ type: EV_REL, code: 0, value: 50 }, { type: EV_REL, code: 1, value: -10 }]); // locked pointer: clamped at the right edge
      input.pointer([{ type: EV_REL, code: 8, value: -1 }, { type: EV_KEY, code: 0x110, value: 0 }]);
    }, 20);
  });
  assert.equal(status, 0, out);
  assert.match(out, /^ledwrite=32$/m, 'whole events are written');
  assert.match(out, /^ledget=4 02$/m, 'the Caps Lock LED is on');
  assert.match(out, /^ledread=32 type=17 code=1 value=1$/m, 'readers see the LED event and its report');
  const events = out.split('\n').filter((l) => /^(kbd|ptr) /.test(l)).map((l) => l.split(' ').slice(0, 4).join(' '));
  const kbd = events.filter((e) => e.startsWith('kbd'));
  const ptr = events.filter((e) => e.startsWith('ptr'));
  assert.deepEqual(kbd, ['kbd 1 30 1', 'kbd 0 0 0', 'kbd 1 30 0', 'kbd 0 0 0']);
  assert.deepEqual(ptr, [
    `ptr 3 0 ${pixelToAbs(799, 800)}`, `ptr 3 1 ${pixelToAbs(300, 600)}`, 'ptr 1 272 1', 'ptr 0 0 0',
    `ptr 3 1 ${pixelToAbs(290, 600)}`, 'ptr 0 0 0', // X did not move: already at the edge
    'ptr 2 8 -1', 'ptr 1 272 0', 'ptr 0 0 0',
  ]);
  // Timestamps are CLOCK_REALTIME by default, in the last minute.
  const t = Number(/t=(\d+)\./.exec(out.split('\n').find((l) => l.startsWith('kbd '))!)![1]);
  assert.ok(Math.abs(t - Date.now() / 1000) < 60, `timestamp ${t}`);
});

test('pixelToAbs lands on the pixel under both of X\'s scalings', () => {
  for (const size of [1, 2, 640, 768, 1024, 1080, 1920, 4096]) {
    for (let p = 0; p < size; p++) {
      const v = pixelToAbs(p, size);
      assert.ok(v >= 0 && v < ABS_RANGE);
      assert.equal(Math.floor((v * size) / ABS_RANGE), p, `max+1 scaling, size ${size} pixel ${p}`);
      if (size > 1) assert.equal(Math.floor((v * (size - 1)) / (ABS_RANGE - 1)), p, `inclusive scaling, size ${size} pixel ${p}`);
    }
  }
});

test('a machine without a display has no input devices; addDisplay adds them later', async () => {
  const m = await boot(null);
  assert.equal(m.display, null);
  const { out } = await run(m, ['probe']);
  assert.match(out, /^kbd\.open=-2$/m);
  const d = addDisplay(m, 640, 480);
  assert.equal(m.display, d);
  assert.ok(d.input);
  const again = await run(m, ['probe']);
  assert.match(again.out, /^kbd\.open=0$/m);
  assert.match(again.out, /^ptr\.name=webx86 pointer$/m);
});
