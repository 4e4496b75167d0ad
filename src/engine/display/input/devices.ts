/**
 * The machine's two input devices and the host's way into them (Display.input):
 *
 *   /dev/input/event0  keyboard: EV_KEY KEY_ESC..KEY_MICMUTE (the AT key set), EV_LED
 *                      (Num/Caps/Scroll Lock, which X writes back), EV_REP (soft
 *                      autorepeat at Linux's defaults, 250 ms / 33 ms; X ignores value-2
 *                      events and repeats by itself, so the browser's repeats are dropped
 *                      on the page).
 *   /dev/input/event1  pointer: EV_ABS ABS_X/ABS_Y over 0..32767 (the range QEMU's
 *                      usb-tablet uses: X maps an absolute device's whole range onto the
 *                      whole screen, so the range survives a resize), EV_KEY BTN_LEFT..
 *                      BTN_EXTRA, EV_REL REL_WHEEL/REL_HWHEEL.
 *
 * The pointer advertises no REL_X/REL_Y: xf86-input-evdev treats a device with both
 * relative and absolute X/Y as a mouse and ignores its absolute axes (evdev.c EvdevProbe,
 * EvdevInitRelValuators), and the X configuration of the reference (kms-xorg-notes.md §5.1)
 * relies on the absolute touchscreen classification. Relative motion from the host (a
 * locked pointer) therefore moves the absolute position, clamped to the screen.
 *
 * Device numbers are Linux's: input major 13, evdev minors from 64 (devices.txt).
 */
import type { Display, InputEvent, InputTarget } from '../display.js';
import type { DevFs } from '../../fs/devfs.js';
import { makedev } from '../../fs/devfs.js';
import type { Stat } from '../../fs/types.js';
import { InputDevice, type DeviceDescription, type InputClocks } from './evdev.js';
import {
  ABS_X, ABS_Y, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, BUS_VIRTUAL, EV_ABS, EV_KEY, EV_LED, EV_REL,
  KEY_ESC, KEY_MICMUTE, LED_CAPSL, LED_NUML, LED_SCROLLL, REL_HWHEEL, REL_WHEEL, REL_X, REL_Y,
} from './codes.js';

export const INPUT_MAJOR = 13, EVDEV_MINOR_BASE = 64;
/** The absolute axes' range: 0..ABS_RANGE-1 device units span the screen. */
export const ABS_RANGE = 32768;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const KEYBOARD: DeviceDescription = {
  name: 'webx86 keyboard',
  phys: 'webx86/input0',
  uniq: null,
  id: { bustype: BUS_VIRTUAL, vendor: 0x0000, product: 0x0001, version: 0x0001 },
  codes: new Map([
    [EV_KEY, range(KEY_ESC, KEY_MICMUTE)],
    [EV_LED, [LED_NUML, LED_CAPSL, LED_SCROLLL]],
  ]),
  repeat: [250, 33], // input_register_device's defaults for soft autorepeat
};

export const POINTER: DeviceDescription = {
  name: 'webx86 pointer',
  phys: 'webx86/input1',
  uniq: null,
  id: { bustype: BUS_VIRTUAL, vendor: 0x0000, product: 0x0002, version: 0x0001 },
  codes: new Map([
    [EV_KEY, [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA]],
    [EV_REL, [REL_HWHEEL, REL_WHEEL]],
    [EV_ABS, [ABS_X, ABS_Y]],
  ]),
  abs: new Map([
    [ABS_X, { minimum: 0, maximum: ABS_RANGE - 1, fuzz: 0, flat: 0, resolution: 0 }],
    [ABS_Y, { minimum: 0, maximum: ABS_RANGE - 1, fuzz: 0, flat: 0, resolution: 0 }],
  ]),
};

/**
 * Screen pixel → device unit, so that X lands on the same pixel whether it scales
 * v * size / RANGE (xserver's rescaleValuatorAxis counts max + 1) or v * (size - 1) /
 * (RANGE - 1) (min/max inclusive): the smallest v at or past both starts of pixel p.
 */
export function pixelToAbs(p: number, size: number): number {
  if (size <= 1) return 0;
  const px = Math.max(0, Math.min(size - 1, Math.floor(p)));
  return Math.min(ABS_RANGE - 1, Math.ceil(Math.max((px * ABS_RANGE) / size, (px * (ABS_RANGE - 1)) / (size - 1))));
}

/**
 * The keyboard and pointer of a display, fed by the host through InputTarget. Pointer
 * pixels are of the screen as shown (the scanout X draws), which can differ from the size
 * the host asked for until X follows a resize, or for good if it does not: the host's sink
 * tells the size of what it shows (setScreenSize), else the display's size is used.
 */
export class DisplayInput implements InputTarget {
  readonly keyboardDev: InputDevice;
  readonly pointerDev: InputDevice;
  /** The pointer's position in screen pixels (relative motion moves it). */
  private x = 0;
  private y = 0;
  private shown: { width: number; height: number } | null = null;

  /** The screen the host shows is `width`x`height` (the scanout's size); pointer pixels refer to it. */
  setScreenSize(width: number, height: number): void {
    this.shown = width > 0 && height > 0 ? { width, height } : null;
  }

  constructor(private readonly display: Display, clocks: InputClocks) {
    this.keyboardDev = new InputDevice(KEYBOARD, clocks);
    this.pointerDev = new InputDevice(POINTER, clocks);
  }

  keyboard(events: readonly InputEvent[]): void {
    this.keyboardDev.report(events);
  }

  pointer(events: readonly InputEvent[]): void {
    const out: InputEvent[] = [];
    let moved = false;
    for (const e of events) {
      if (e.type === EV_ABS && (e.code === ABS_X || e.code === ABS_Y)) {
        if (e.code === ABS_X) this.x = e.value; else this.y = e.value;
        moved = true;
      } else if (e.type === EV_REL && (e.code === REL_X || e.code === REL_Y)) {
        if (e.code === REL_X) this.x += e.value; else this.y += e.value;
        moved = true;
      } else {
        out.push(e);
      }
    }
    if (moved) {
      const { width, height } = this.shown ?? this.display;
      this.x = Math.max(0, Math.min(width - 1, this.x));
      this.y = Math.max(0, Math.min(height - 1, this.y));
      out.unshift({ type: EV_ABS, code: ABS_X, value: pixelToAbs(this.x, width) }, { type: EV_ABS, code: ABS_Y, value: pixelToAbs(this.y, height) });
    }
    this.pointerDev.report(out);
  }
}

/**
 * Make the input devices of `display`: /dev/input/event0 and event1 in `devfs`, and
 * `display.input` as the host's way in.
 */
export function addInputDevices(display: Display, devfs: DevFs, clocks: InputClocks): DisplayInput {
  const input = new DisplayInput(display, clocks);
  devfs.addDir('input');
  const devices: [string, InputDevice][] = [['input/event0', input.keyboardDev], ['input/event1', input.pointerDev]];
  devices.forEach(([name, dev], i) => {
    const rdev = makedev(INPUT_MAJOR, EVDEV_MINOR_BASE + i);
    // Debian's udev rules make them root:input 0660; the machine has no input group, so root.
    devfs.addDevice(name, 0o660, rdev, (flags, path, _t, inode) => dev.open(flags, path, () => (inode ? inode.stat() : fallbackStat(rdev))));
  });
  display.input = input;
  return input;
}

function fallbackStat(rdev: number): Stat {
  const ts = { sec: 0, nsec: 0 };
  return { dev: 5, ino: 0, mode: 0o20660, nlink: 1, uid: 0, gid: 0, rdev, size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
}
