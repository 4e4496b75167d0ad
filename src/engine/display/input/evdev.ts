/**
 * An evdev input device (/dev/input/eventN) and its open files, as drivers/input/input.c
 * (the input core: which events pass, key and LED state, software autorepeat) and
 * drivers/input/evdev.c (per-open event queues, read/poll/write, the EVIOC* ioctls) define
 * them. The numbers come from <linux/input.h> (codes.ts).
 *
 * i386 layouts: struct input_event is 16 bytes (32-bit timeval sec/usec, type u16 @8,
 * code u16 @10, value s32 @12); struct input_absinfo 24 bytes (value, minimum, maximum,
 * fuzz, flat, resolution: s32 each); struct input_id 8 bytes (bustype, vendor, product,
 * version: u16 each); struct input_mask 16 bytes (type u32, codes_size u32, codes_ptr u64).
 */
import { File, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type Caller, type Stat } from '../../fs/types.js';
import { EAGAIN, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, ENOSYS, ERESTARTSYS } from '../../abi/errno.js';
import { copyIn, copyOut, getStruct, getU32, putStruct, putU32 } from '../../mem/uaccess.js';
import { INTERRUPTED, waitAny } from '../../wait/queue.js';
import type { InputEvent } from '../display.js';
import {
  ABS_MAX, ABS_MT_SLOT, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, EV_ABS, EV_FF, EV_KEY, EV_LED, EV_MAX, EV_MSC, EV_REL,
  EV_REP, EV_SND, EV_SW, EV_SYN, EV_VERSION, INPUT_PROP_MAX, KEY_MAX, OLD_KEY_MAX, REP_DELAY, REP_PERIOD, SYN_DROPPED, SYN_REPORT, TYPE_MAX,
} from './codes.js';

/** sizeof(struct input_event) on i386. */
export const INPUT_EVENT_SIZE = 16;
const ABSINFO_SIZE = 24;
/** EVDEV_MIN_BUFFER_SIZE: every queue holds at least 64 events (evdev.c; ours never need more). */
const QUEUE_SIZE = 64;

// _IOC encoding (asm-generic/ioctl.h): nr 0-7, type 8-15, size 16-29, dir 30-31.
const IOC_WRITE = 1, IOC_READ = 2;
const iocDir = (cmd: number) => cmd >>> 30;
const iocSize = (cmd: number) => (cmd >>> 16) & 0x3fff;
const iocNr = (cmd: number) => cmd & 0xff;
const ioc = (dir: number, nr: number, size: number) => ((dir << 30) | (size << 16) | (0x45 << 8) | nr) >>> 0; // 'E'

/** The fixed-size evdev ioctls (<linux/input.h>), matched on the whole number as evdev.c does. */
export const EVIOCGVERSION = ioc(IOC_READ, 0x01, 4);
export const EVIOCGID = ioc(IOC_READ, 0x02, 8);
export const EVIOCGREP = ioc(IOC_READ, 0x03, 8);
export const EVIOCSREP = ioc(IOC_WRITE, 0x03, 8);
export const EVIOCSFF = ioc(IOC_WRITE, 0x80, 44); // sizeof(struct ff_effect) on i386
export const EVIOCRMFF = ioc(IOC_WRITE, 0x81, 4);
export const EVIOCGEFFECTS = ioc(IOC_READ, 0x84, 4);
export const EVIOCGRAB = ioc(IOC_WRITE, 0x90, 4);
export const EVIOCREVOKE = ioc(IOC_WRITE, 0x91, 4);
export const EVIOCGMASK = ioc(IOC_READ, 0x92, 16);
export const EVIOCSMASK = ioc(IOC_WRITE, 0x93, 16);
export const EVIOCSCLOCKID = ioc(IOC_WRITE, 0xa0, 4);
/** The variable-length reads, by nr (the size is the caller's buffer). */
const NR_GPROP = 0x09, NR_GMTSLOTS = 0x0a, NR_GKEY = 0x18, NR_GLED = 0x19, NR_GSND = 0x1a, NR_GSW = 0x1b;
const NR_GNAME = 0x06, NR_GPHYS = 0x07, NR_GUNIQ = 0x08;
const NR_GBIT = 0x20, NR_GABS = 0x40, NR_SABS = 0xc0;

/** How many bytes a bitmap of codes 0..max takes as 32-bit longs: BITS_TO_LONGS(max) * 4, as bits_to_user counts. */
const bitmapBytes = (max: number) => Math.ceil(max / 32) * 4;

/** A bitmap of codes 0..max, little-endian 32-bit longs as the kernel lays it out on i386. */
class Bits {
  readonly bytes: Uint8Array;
  constructor(max: number) { this.bytes = new Uint8Array(Math.ceil((max + 1) / 32) * 4); }
  has(code: number): boolean { return code >= 0 && code < this.bytes.length * 8 && (this.bytes[code >> 3] & (1 << (code & 7))) !== 0; }
  set(code: number, on = true): void {
    if (on) this.bytes[code >> 3] |= 1 << (code & 7);
    else this.bytes[code >> 3] &= ~(1 << (code & 7));
  }
}

export interface AbsInfo { value: number; minimum: number; maximum: number; fuzz: number; flat: number; resolution: number }

/** What a device is: its identity and the events it can produce (the input_dev fields a driver fills). */
export interface DeviceDescription {
  name: string;
  /** EVIOCGPHYS; null answers ENOENT, as for a device whose driver set none. */
  phys: string | null;
  uniq: string | null;
  id: { bustype: number; vendor: number; product: number; version: number };
  /** Codes by event type (EV_SYN is implied). */
  codes: ReadonlyMap<number, readonly number[]>;
  /** INPUT_PROP_* bits. */
  props?: readonly number[];
  /** Range of each EV_ABS code. */
  abs?: ReadonlyMap<number, Omit<AbsInfo, 'value'>>;
  /** rep[REP_DELAY], rep[REP_PERIOD] in ms when the device has EV_REP (the input core's soft autorepeat). */
  repeat?: [delay: number, period: number];
}

/** Clocks a client can choose for its timestamps (EVIOCSCLOCKID), in ns. */
export interface InputClocks {
  realtime(): bigint;
  monotonic(): bigint;
  boottime(): bigint;
}

interface Stamped { sec: number; usec: number; type: number; code: number; value: number }

/**
 * The device: capabilities, current state (keys down, LEDs, axes) and its clients. Events
 * from the host go through `report`, which filters them as input_handle_event does (a key
 * already down is not pressed again, an axis at its value does not move, unsupported
 * codes vanish) and hands each batch, ending in SYN_REPORT, to every client (or to the one
 * that grabbed the device).
 */
export class InputDevice {
  readonly evbit = new Bits(EV_MAX);
  readonly propbit = new Bits(INPUT_PROP_MAX);
  readonly bits = new Map<number, Bits>();
  readonly key = new Bits(KEY_MAX);
  readonly led = new Bits(0x0f);
  readonly snd = new Bits(0x07);
  readonly sw = new Bits(0x10);
  readonly absinfo: AbsInfo[] | null = null;
  readonly rep: [number, number] = [0, 0];
  readonly clients = new Set<EvdevFile>();
  grab: EvdevFile | null = null;
  private pending: InputEvent[] = [];
  private repeatKey = -1;
  private repeatTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly desc: DeviceDescription, readonly clocks: InputClocks) {
    this.evbit.set(EV_SYN);
    for (const [type, codes] of desc.codes) {
      this.evbit.set(type);
      const b = new Bits(TYPE_MAX.get(type) ?? 0);
      for (const c of codes) b.set(c);
      this.bits.set(type, b);
    }
    for (const p of desc.props ?? []) this.propbit.set(p);
    if (desc.abs) {
      this.absinfo = Array.from({ length: ABS_MAX + 1 }, () => ({ value: 0, minimum: 0, maximum: 0, fuzz: 0, flat: 0, resolution: 0 }));
      for (const [code, a] of desc.abs) this.absinfo[code] = { value: a.minimum, ...a };
    }
    if (desc.repeat) {
      this.evbit.set(EV_REP);
      this.rep[REP_DELAY] = desc.repeat[0];
      this.rep[REP_PERIOD] = desc.repeat[1];
    }
  }

  supports(type: number, code: number): boolean {
    return this.evbit.has(type) && (this.bits.get(type)?.has(code) ?? false);
  }

  /** One batch of host events; the SYN_REPORT that ends it is added here. */
  report(events: readonly InputEvent[]): void {
    for (const e of events) this.event(e.type, e.code, e.value);
    this.event(EV_SYN, SYN_REPORT, 0);
  }

  /** input_handle_event: decide whether the event passes, update state, flush at SYN_REPORT. */
  event(type: number, code: number, value: number): void {
    let pass = false;
    switch (type) {
      case EV_SYN:
        if (code === SYN_REPORT) {
          // A report with nothing before it is not passed on (num_vals < 2 in input.c).
          if (this.pending.length) this.flush([...this.pending, { type, code, value }]);
          this.pending = [];
        }
        return;
      case EV_KEY:
        if (!this.supports(type, code)) break;
        if (value === 2) { pass = this.key.has(code); break; }
        if (this.key.has(code) !== (value !== 0)) {
          this.key.set(code, value !== 0);
          pass = true;
          if (value) this.startRepeat(code); else this.stopRepeat();
        }
        break;
      case EV_REL:
        pass = this.supports(type, code) && value !== 0;
        break;
      case EV_ABS:
        if (this.supports(type, code) && this.absinfo && this.absinfo[code].value !== value) {
          this.absinfo[code].value = value;
          pass = true;
        }
        break;
      case EV_MSC:
        pass = this.supports(type, code);
        break;
      case EV_LED:
        if (this.supports(type, code) && this.led.has(code) !== (value !== 0)) {
          this.led.set(code, value !== 0);
          pass = true;
        }
        break;
      case EV_REP:
        if (this.evbit.has(EV_REP) && code <= REP_PERIOD && value >= 0 && this.rep[code] !== value) {
          this.rep[code] = value;
          pass = true;
        }
        break;
    }
    if (pass) this.pending.push({ type, code, value });
  }

  /** input_pass_values: stamp once per packet and queue it for every client (or the grabber). */
  private flush(packet: InputEvent[]): void {
    const targets = this.grab ? [this.grab] : [...this.clients];
    for (const c of targets) c.queue(packet);
  }

  /** input_start_autorepeat: after rep[REP_DELAY] ms the key repeats every rep[REP_PERIOD] ms while down. */
  private startRepeat(code: number): void {
    this.stopRepeat();
    if (!this.evbit.has(EV_REP) || !this.rep[REP_DELAY] || !this.rep[REP_PERIOD] || this.clients.size === 0) return;
    this.repeatKey = code;
    this.repeatTimer = setTimeout(() => this.repeat(), this.rep[REP_DELAY]);
  }

  private stopRepeat(): void {
    if (this.repeatTimer !== null) clearTimeout(this.repeatTimer);
    this.repeatTimer = null;
    this.repeatKey = -1;
  }

  /** input_repeat_key: value 2, then a SYN_REPORT whose value is 1 (input_value_sync in the repeat path). */
  private repeat(): void {
    this.repeatTimer = null;
    const code = this.repeatKey;
    if (code < 0 || !this.key.has(code) || this.clients.size === 0) { this.repeatKey = -1; return; }
    this.flush([{ type: EV_KEY, code, value: 2 }, { type: EV_SYN, code: SYN_REPORT, value: 1 }]);
    if (this.rep[REP_PERIOD]) this.repeatTimer = setTimeout(() => this.repeat(), this.rep[REP_PERIOD]);
  }

  open(flags: number, path: string, stat: () => Stat | Promise<Stat>): EvdevFile {
    const f = new EvdevFile(this, flags, path, stat);
    this.clients.add(f);
    return f;
  }

  closed(f: EvdevFile): void {
    this.clients.delete(f);
    if (this.grab === f) this.grab = null;
    if (this.clients.size === 0) this.stopRepeat();
  }
}

/** evdev_get_mask_cnt: bits in a client's mask of `type` (EV_CNT for the type mask 0), 0 for types without one. */
function maskCount(type: number): number {
  if (type === EV_SYN) return EV_MAX + 1;
  if (type === EV_REP) return 0;
  const max = TYPE_MAX.get(type);
  return max === undefined ? 0 : max + 1;
}

const CLK_REAL = 0, CLK_MONO = 1, CLK_BOOT = 2;

/** One open of the device (evdev.c's evdev_client): its own queue, clock, grab and masks. */
export class EvdevFile extends File {
  /** Ring buffer of stamped events: `tail` is the next to read; reads stop at `packetHead`. */
  private readonly buf: Stamped[] = new Array(QUEUE_SIZE);
  private head = 0;
  private tail = 0;
  private packetHead = 0;
  private clock = CLK_REAL;
  private revoked = false;
  /** EVIOCSMASK: per type, the codes this client wants (null: all). */
  private readonly masks = new Map<number, Bits>();

  constructor(readonly dev: InputDevice, flags: number, path: string, private readonly node: () => Stat | Promise<Stat>) {
    super(flags, path);
  }

  stat(): Stat | Promise<Stat> { return this.node(); }

  private now(): { sec: number; usec: number } {
    const c = this.dev.clocks;
    const ns = this.clock === CLK_MONO ? c.monotonic() : this.clock === CLK_BOOT ? c.boottime() : c.realtime();
    const us = ns / 1000n;
    return { sec: Number(us / 1_000_000n) >>> 0, usec: Number(us % 1_000_000n) };
  }

  /** __evdev_is_filtered: EV_SYN and codes past a type's count always pass. */
  private masked(type: number, code: number): boolean {
    if (type === EV_SYN || type > EV_MAX) return false;
    const types = this.masks.get(0);
    if (types && !types.has(type)) return true;
    const cnt = maskCount(type);
    if (!cnt || code >= cnt) return false;
    const m = this.masks.get(type);
    return m !== undefined && !m.has(code);
  }

  /** evdev_pass_values/__pass_event: append a packet; on overflow keep only SYN_DROPPED and start over. */
  queue(packet: readonly InputEvent[]): void {
    if (this.revoked) return;
    const t = this.now();
    let wake = false;
    for (const e of packet) {
      if (this.masked(e.type, e.code)) continue;
      const report = e.type === EV_SYN && e.code === SYN_REPORT;
      // An empty report (everything before it masked out) is dropped (evdev_pass_values).
      if (report && this.packetHead === this.head) continue;
      this.buf[this.head] = { ...t, type: e.type, code: e.code, value: e.value };
      this.head = (this.head + 1) & (QUEUE_SIZE - 1);
      if (this.head === this.tail) {
        // The queue is full: drop everything but one SYN_DROPPED (evdev.c __pass_event).
        this.tail = (this.head - 2) & (QUEUE_SIZE - 1);
        this.buf[this.tail] = { ...t, type: EV_SYN, code: SYN_DROPPED, value: 0 };
        this.packetHead = this.tail;
      }
      if (report) {
        this.packetHead = this.head;
        wake = true;
      }
    }
    if (wake) this.waitq.wake();
  }

  /** __evdev_flush_queue: drop queued events of `type` (before a state read), and reports left empty. */
  private flushType(type: number): void {
    let head = this.tail, num = 0, lastSyn = this.tail;
    for (let i = this.tail; i !== this.head; i = (i + 1) & (QUEUE_SIZE - 1)) {
      const ev = this.buf[i];
      const isReport = ev.type === EV_SYN && ev.code === SYN_REPORT;
      if (ev.type === type) continue;
      if (isReport && num === 0) continue;
      if (head !== i) this.buf[head] = ev;
      num++;
      head = (head + 1) & (QUEUE_SIZE - 1);
      if (isReport) { num = 0; lastSyn = head; }
    }
    this.head = head;
    this.packetHead = lastSyn;
  }

  poll(): number {
    let m = this.revoked ? POLLHUP | POLLERR : POLLOUT | POLLWRNORM;
    if (this.packetHead !== this.tail) m |= POLLIN | POLLRDNORM;
    return m;
  }

  read(t: Caller, buf: Uint8Array): number | Promise<number> {
    if (buf.length !== 0 && buf.length < INPUT_EVENT_SIZE) return -EINVAL;
    const r = this.tryRead(buf);
    return r === -EAGAIN && !this.nonblock ? this.readSlow(t, buf) : r;
  }

  private tryRead(buf: Uint8Array): number {
    if (this.revoked) return -ENODEV;
    if (this.packetHead === this.tail && this.nonblock) return -EAGAIN;
    if (buf.length === 0) return 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let n = 0;
    while (n + INPUT_EVENT_SIZE <= buf.length && this.packetHead !== this.tail) {
      const e = this.buf[this.tail];
      this.tail = (this.tail + 1) & (QUEUE_SIZE - 1);
      dv.setUint32(n, e.sec, true);
      dv.setUint32(n + 4, e.usec, true);
      dv.setUint16(n + 8, e.type, true);
      dv.setUint16(n + 10, e.code, true);
      dv.setInt32(n + 12, e.value, true);
      n += INPUT_EVENT_SIZE;
    }
    return n || -EAGAIN;
  }

  private async readSlow(t: Caller, buf: Uint8Array): Promise<number> {
    for (;;) {
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
      const r = this.tryRead(buf);
      if (r !== -EAGAIN) return r;
    }
  }

  /** evdev_write: whole events are injected into the device (LED and repeat settings from X). */
  write(_t: Caller, data: Uint8Array): number {
    if (this.revoked) return -ENODEV;
    if (data.length !== 0 && data.length < INPUT_EVENT_SIZE) return -EINVAL;
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let n = 0;
    for (; n + INPUT_EVENT_SIZE <= data.length; n += INPUT_EVENT_SIZE) {
      this.dev.event(dv.getUint16(n + 8, true), dv.getUint16(n + 10, true), dv.getInt32(n + 12, true));
    }
    return n;
  }

  release(): void {
    this.dev.closed(this);
  }

  ioctl(t: Caller, cmd: number, arg: number): number {
    if (this.revoked) return -ENODEV;
    const dev = this.dev;
    cmd >>>= 0;
    switch (cmd) {
      case EVIOCGVERSION:
        return putU32(t, arg, EV_VERSION) ? 0 : -EFAULT;
      case EVIOCGID: {
        const id = dev.desc.id;
        return putStruct(t, arg, 8, (dv) => {
          dv.setUint16(0, id.bustype, true); dv.setUint16(2, id.vendor, true);
          dv.setUint16(4, id.product, true); dv.setUint16(6, id.version, true);
        }) ? 0 : -EFAULT;
      }
      case EVIOCGREP:
        if (!dev.evbit.has(EV_REP)) return -ENOSYS;
        return putStruct(t, arg, 8, (dv) => { dv.setUint32(0, dev.rep[REP_DELAY], true); dv.setUint32(4, dev.rep[REP_PERIOD], true); }) ? 0 : -EFAULT;
      case EVIOCSREP: {
        if (!dev.evbit.has(EV_REP)) return -ENOSYS;
        const v = getStruct(t, arg, 8);
        if (!v) return -EFAULT;
        dev.event(EV_REP, REP_DELAY, v.getInt32(0, true));
        dev.event(EV_REP, REP_PERIOD, v.getInt32(4, true));
        return 0;
      }
      case EVIOCRMFF:
        return -ENOSYS; // input_ff_erase: no EV_FF
      case EVIOCGEFFECTS:
        return putU32(t, arg, 0) ? 0 : -EFAULT; // no force feedback: 0 effects
      case EVIOCSFF:
        return copyIn(t, arg, iocSize(cmd)) ? -ENOSYS : -EFAULT; // input_ff_upload: no EV_FF
      case EVIOCGRAB:
        if (arg) {
          if (dev.grab) return -EBUSY;
          dev.grab = this;
          return 0;
        }
        if (dev.grab !== this) return -EINVAL;
        dev.grab = null;
        return 0;
      case EVIOCREVOKE:
        if (arg) return -EINVAL;
        this.revoked = true;
        if (dev.grab === this) dev.grab = null;
        this.waitq.wake();
        return 0;
      case EVIOCGMASK:
      case EVIOCSMASK:
        return this.mask(t, cmd === EVIOCSMASK, arg);
      case EVIOCSCLOCKID: {
        const id = getU32(t, arg);
        if (id === null) return -EFAULT;
        const clk = id === CLOCK_REALTIME ? CLK_REAL : id === CLOCK_MONOTONIC ? CLK_MONO : id === CLOCK_BOOTTIME ? CLK_BOOT : -1;
        if (clk < 0) return -EINVAL;
        // evdev_set_clk_type: a new clock empties a non-empty queue and leaves a SYN_DROPPED
        // (readable after the next report) so old and new stamps never mix.
        if (clk !== this.clock) {
          this.clock = clk;
          if (this.head !== this.tail) {
            this.head = this.packetHead = this.tail;
            this.buf[this.head] = { ...this.now(), type: EV_SYN, code: SYN_DROPPED, value: 0 };
            this.head = (this.head + 1) & (QUEUE_SIZE - 1);
          }
        }
        return 0;
      }
    }
    const size = iocSize(cmd), nr = iocNr(cmd), dir = iocDir(cmd);
    if (dir === IOC_READ && (cmd & 0xff00) === 0x4500) {
      switch (nr) {
        case NR_GPROP: return this.bitsOut(t, arg, dev.propbit, INPUT_PROP_MAX, size);
        case NR_GMTSLOTS: return -EINVAL; // no multitouch slots
        case NR_GKEY: this.flushType(EV_KEY); return this.bitsOut(t, arg, dev.key, KEY_MAX, size);
        case NR_GLED: this.flushType(EV_LED); return this.bitsOut(t, arg, dev.led, 0x0f, size);
        case NR_GSND: this.flushType(EV_SND); return this.bitsOut(t, arg, dev.snd, 0x07, size);
        case NR_GSW: this.flushType(EV_SW); return this.bitsOut(t, arg, dev.sw, 0x10, size);
        case NR_GNAME: return this.strOut(t, arg, dev.desc.name, size);
        case NR_GPHYS: return this.strOut(t, arg, dev.desc.phys, size);
        case NR_GUNIQ: return this.strOut(t, arg, dev.desc.uniq, size);
      }
      if ((nr & ~EV_MAX) === NR_GBIT) return this.gbit(t, nr & EV_MAX, arg, size);
      if ((nr & ~ABS_MAX) === NR_GABS) {
        if (!dev.absinfo) return -EINVAL;
        const a = dev.absinfo[nr & ABS_MAX];
        const out = new DataView(new ArrayBuffer(ABSINFO_SIZE));
        [a.value, a.minimum, a.maximum, a.fuzz, a.flat, a.resolution].forEach((v, i) => out.setInt32(i * 4, v, true));
        return copyOut(t, arg, new Uint8Array(out.buffer, 0, Math.min(size, ABSINFO_SIZE))) ? 0 : -EFAULT;
      }
    }
    if (dir === IOC_WRITE && (cmd & 0xff00) === 0x4500 && (nr & ~ABS_MAX) === NR_SABS) {
      if (!dev.absinfo) return -EINVAL;
      const n = Math.min(size, ABSINFO_SIZE);
      const raw = copyIn(t, arg, n);
      if (!raw) return -EFAULT;
      const code = nr & ABS_MAX;
      if (code === ABS_MT_SLOT) return -EINVAL; // the number of MT slots cannot change
      const v = new DataView(new ArrayBuffer(ABSINFO_SIZE));
      new Uint8Array(v.buffer).set(raw);
      const [value, minimum, maximum, fuzz, flat, resolution] = [0, 1, 2, 3, 4, 5].map((i) => v.getInt32(i * 4, true));
      dev.absinfo[code] = { value, minimum, maximum, fuzz, flat, resolution: size < ABSINFO_SIZE ? 0 : resolution };
      return 0;
    }
    return -EINVAL;
  }

  /** handle_eviocgbit: the type bitmap (EVIOCGBIT(0)) or one type's codes; -EINVAL for an unknown type. */
  private gbit(t: Caller, type: number, arg: number, size: number): number {
    if (type === 0) return this.bitsOut(t, arg, this.dev.evbit, EV_MAX, size);
    let max = TYPE_MAX.get(type);
    if (max === undefined || type === EV_REP) return -EINVAL;
    // Old programs ask for EV_KEY with OLD_KEY_MAX bytes; evdev.c answers with the old length.
    if (type === EV_KEY && size === OLD_KEY_MAX) max = OLD_KEY_MAX;
    return this.bitsOut(t, arg, this.dev.bits.get(type) ?? new Bits(max), max, size);
  }

  /** bits_to_user: min(BITS_TO_LONGS(max) longs, size) bytes; returns the count copied. */
  private bitsOut(t: Caller, arg: number, bits: Bits, max: number, size: number): number {
    const len = Math.min(bitmapBytes(max), size);
    const out = new Uint8Array(len);
    out.set(bits.bytes.subarray(0, len));
    return copyOut(t, arg, out) ? len : -EFAULT;
  }

  /** str_to_user: the string with its NUL, cut to the caller's size; -ENOENT when the device has none. */
  private strOut(t: Caller, arg: number, s: string | null, size: number): number {
    if (s === null) return -ENOENT;
    const enc = new TextEncoder().encode(`${s}\0`);
    const len = Math.min(enc.length, size);
    return copyOut(t, arg, enc.subarray(0, len)) ? len : -EFAULT;
  }

  /**
   * EVIOCGMASK/EVIOCSMASK (evdev_get_mask/evdev_set_mask): which codes of a type this client
   * receives. Mask 0 holds the types (EV_CNT bits); unknown types read as zeros and cannot be set.
   */
  private mask(t: Caller, set: boolean, arg: number): number {
    const m = getStruct(t, arg, 16);
    if (!m) return -EFAULT;
    const type = m.getUint32(0, true), codesSize = m.getUint32(4, true), ptr = m.getUint32(8, true);
    const cnt = maskCount(type);
    if (set) {
      if (!cnt) return -EINVAL;
      const b = new Bits(cnt - 1);
      const len = Math.min(bitmapBytes(cnt - 1), codesSize);
      const raw = copyIn(t, ptr, len);
      if (!raw) return -EFAULT;
      b.bytes.set(raw);
      this.masks.set(type, b);
      return 0;
    }
    const xfer = Math.min(codesSize, cnt ? Math.ceil(cnt / 32) * 4 : 0);
    const out = new Uint8Array(codesSize);
    const cur = this.masks.get(type);
    if (cnt && cur) out.set(cur.bytes.subarray(0, Math.min(xfer, bitmapBytes(cnt - 1))));
    else if (cnt) out.fill(0xff, 0, xfer); // no mask yet: every bit set, as the kernel fakes it
    return copyOut(t, ptr, out) ? 0 : -EFAULT;
  }
}
