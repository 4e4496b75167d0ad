/**
 * The DRM card of one machine (/dev/dri/card0): the state every open file shares — the
 * CRTC's scanout, the connector's modes, the cursor plane, framebuffers, dumb-buffer
 * offsets, the DRM master, the vblank clock — and the output to the host's display sink.
 *
 * Output. The sink gets at most one frame per display refresh period: DIRTYFB rectangles
 * (Xorg's repaint path, after every batch of rendering) go at once when no frame went in the
 * last period, else accumulate and are sent together when it ends; SETCRTC, a completed page flip and DPMS On send the whole screen. A client
 * that never calls DIRTYFB on the framebuffer it scans out (a program drawing into a
 * mapped buffer, as on hardware that scans out continuously) gets a periodic full refresh
 * at the refresh rate instead. A client that has called DIRTYFB once, even to probe it
 * (Xorg's DIRTYFB on fb 0 at startup, which answers ENOENT), reports its damage and gets
 * no periodic refresh: a still Xorg screen costs nothing.
 *
 * Vblanks are a counter derived from CLOCK_MONOTONIC at the display's refresh rate (no
 * hardware to count), so WAIT_VBLANK, page-flip completion and their events see a steady
 * 60 Hz sequence with monotonic timestamps (DRM_CAP_TIMESTAMP_MONOTONIC).
 */
import type { Kernel } from '../../linux/kernel.js';
import { monotonicNs } from '../../linux/clock.js';
import type { Display, Rect, ScanoutView } from '../display.js';
import { connectorModes, type Mode } from './modes.js';
import { DumbBuffer } from './dumb.js';
import { CRTC_ID, DPMS_OFF, DPMS_ON, FIRST_FB_ID, GAMMA_SIZE, PROPERTIES, type Framebuffer } from './objects.js';
import { EVENT_TYPE_FLIP_COMPLETE } from './uapi.js';
import type { DrmFile } from './file.js';

/** Where fake mmap offsets start (DRM_FILE_PAGE_OFFSET_START on 32-bit: 0x10000 pages); kept below 2^31 for off_t. */
const OFFSET_START = 0x10000000, OFFSET_END = 0x80000000;
/**
 * Dumb-buffer memory the device hands out in all, like a driver's VRAM: CREATE_DUMB past
 * it answers ENOMEM. 512 MiB holds many 8192x8192 buffers' worth of a normal desktop.
 */
export const DUMB_MEMORY_LIMIT = 512 << 20;
/** More dirty rectangles than this in one refresh are sent as their bounding box. */
const MAX_RECTS = 64;

function boundingBox(rects: readonly Rect[]): Rect {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.w); y1 = Math.max(y1, r.y + r.h);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export interface CrtcState {
  fb: Framebuffer | null;
  x: number;
  y: number;
  mode: Mode | null;
}

export interface PendingFlip { file: DrmFile; fb: Framebuffer; userData: bigint; event: boolean }
export interface VblankWaiter { file: DrmFile; seq: number; userData: bigint }

/** A uevent for the hotplug of the card (sent on NETLINK_KOBJECT_UEVENT sockets). */
export type UeventSender = (action: string, devpath: string, props: Record<string, string>) => void;

export const CARD_DEVPATH = '/devices/platform/webx86-kms/drm/card0';

export class DrmDevice {
  readonly fbs = new Map<number, Framebuffer>();
  private nextFbId = FIRST_FB_ID;
  private nextOffset = OFFSET_START;
  private readonly freeOffsets: { offset: number; size: number }[] = [];
  dumbBytes = 0;
  readonly files = new Set<DrmFile>();
  master: DrmFile | null = null;
  /** The master's bus id (drm_master.unique), set by SET_VERSION 1.1. */
  unique = '';
  readonly crtc: CrtcState = { fb: null, x: 0, y: 0, mode: null };
  /** The connector's mode list as last probed (fill_modes), and the property values by id. */
  modes: Mode[];
  readonly props = new Map<number, number>(PROPERTIES.map((p) => [p.id, p.initial]));
  readonly gamma = { red: new Uint16Array(GAMMA_SIZE), green: new Uint16Array(GAMMA_SIZE), blue: new Uint16Array(GAMMA_SIZE) };
  /** Cursor plane: image (or none), hotspot, top-left position. */
  cursor = { visible: false, hotX: 0, hotY: 0, x: 0, y: 0 };
  flip: PendingFlip | null = null;
  readonly vblankWaiters: VblankWaiter[] = [];
  private readonly vblankEpoch: bigint;
  private dirty: Rect[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the pending flush is due (monotonic ns): a DIRTYFB after it flushes at once. */
  private flushDueNs = 0n;
  /** When damage was last flushed (monotonic ns). */
  private lastFlushNs = -(1n << 62n);
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private vblankTimer: ReturnType<typeof setTimeout> | null = null;
  /** Files that called DIRTYFB: their framebuffers report damage, no periodic refresh. */
  private readonly damageReporters = new WeakSet<object>();
  /** Counts hotplugs (resizes), for uevent SEQNUM. */
  private seqnum = 1;
  uevent: UeventSender | null = null;

  constructor(readonly kernel: Kernel, readonly display: Display) {
    for (let i = 0; i < GAMMA_SIZE; i++) {
      const v = (i * 0x10101) >>> 8; // identity ramp, i << 8 | i
      this.gamma.red[i] = this.gamma.green[i] = this.gamma.blue[i] = v & 0xffff;
    }
    this.modes = connectorModes(display.width, display.height, display.refresh);
    this.vblankEpoch = monotonicNs(kernel);
    display.onResize(() => this.hotplug());
    display.scanout = () => this.scanoutView();
  }

  // ---- framebuffers and buffers ----

  addFb(fb: Omit<Framebuffer, 'id'>): Framebuffer {
    const f = { ...fb, id: this.nextFbId++ };
    this.fbs.set(f.id, f);
    f.bo.refs++;
    return f;
  }

  /** drm_framebuffer_remove: a framebuffer being scanned out turns the CRTC off first. */
  removeFb(fb: Framebuffer): void {
    if (this.crtc.fb === fb) this.setCrtc(null, 0, 0, null);
    if (this.flip?.fb === fb) this.flip = null;
    this.fbs.delete(fb.id);
    this.unrefBo(fb.bo);
  }

  createBo(width: number, height: number, bpp: number, pitch: number, size: number): DumbBuffer | null {
    if (this.dumbBytes + size > DUMB_MEMORY_LIMIT) return null;
    let offset = -1;
    const i = this.freeOffsets.findIndex((r) => r.size >= size);
    if (i >= 0) { offset = this.freeOffsets[i].offset; this.freeOffsets.splice(i, 1); }
    else if (this.nextOffset + size <= OFFSET_END) { offset = this.nextOffset; this.nextOffset += size; }
    if (offset < 0) return null;
    this.dumbBytes += size;
    return new DumbBuffer(width, height, bpp, pitch, size, offset);
  }

  unrefBo(bo: DumbBuffer): void {
    if (--bo.refs > 0) return;
    this.dumbBytes -= bo.size;
    this.freeOffsets.push({ offset: bo.offset, size: bo.size });
  }

  // ---- scanout ----

  setCrtc(fb: Framebuffer | null, x: number, y: number, mode: Mode | null): void {
    this.crtc.fb = fb;
    this.crtc.x = x;
    this.crtc.y = y;
    this.crtc.mode = mode;
    this.dirty = [];
    if (!fb || !mode) {
      this.stopRefresh();
      this.flip = null;
      this.display.sink?.blank();
      return;
    }
    this.sendFrame([{ x: 0, y: 0, w: mode.hdisplay, h: mode.vdisplay }]);
    this.updateRefresh();
  }

  /** DIRTYFB on `fb`: remember the rectangles (framebuffer coordinates); send them at the next vblank. */
  damage(fb: Framebuffer, rects: Rect[]): void {
    if (this.crtc.fb !== fb || !this.crtc.mode) return;
    const { x, y, mode } = this.crtc;
    for (const r of rects) {
      const x0 = Math.max(0, r.x - x), y0 = Math.max(0, r.y - y);
      const x1 = Math.min(mode.hdisplay, r.x + r.w - x), y1 = Math.min(mode.vdisplay, r.y + r.h - y);
      if (x1 > x0 && y1 > y0) this.dirty.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
    }
    if (!this.dirty.length) return;
    if (this.dirty.length > MAX_RECTS) this.dirty = [boundingBox(this.dirty)];
    const now = monotonicNs(this.kernel);
    if (this.flushTimer) {
      // The timer is overdue: a guest that reports damage without ever blocking keeps the
      // engine's worker busy, and the timer waits for the event loop's next turn (the run
      // loop yields every 12 ms of guest time). Flushing here does not wait for it.
      if (now >= this.flushDueNs) this.flushDirty();
      return;
    }
    // The first damage after a quiet refresh goes at once (a key's echo does not wait for a
    // vblank: ~8 ms of key-to-glyph latency on average); what follows within the same
    // refresh period waits for its end, so the sink still gets at most one frame a refresh.
    const due = this.lastFlushNs + this.periodNs();
    if (now >= due) { this.flushDirty(); return; }
    this.flushDueNs = due;
    this.flushTimer = setTimeout(() => this.flushDirty(), Math.max(1, Math.ceil(Number(due - now) / 1e6)));
  }

  /** `file` called DIRTYFB (whatever the answer): it reports damage. */
  reportsDamage(file: object): void {
    if (this.damageReporters.has(file)) return;
    this.damageReporters.add(file);
    this.updateRefresh();
  }

  private flushDirty(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const rects = this.dirty;
    this.dirty = [];
    if (!rects.length) return;
    this.lastFlushNs = monotonicNs(this.kernel);
    this.sendFrame(rects);
  }

  /** The scanout's pixels as they are now (the CRTC's view of its framebuffer), or null while nothing shows. */
  private scanoutView(): ScanoutView | null {
    const { fb, mode, x, y } = this.crtc;
    if (!fb || !mode || this.props.get(2) === DPMS_OFF) return null;
    const w = mode.hdisplay, h = mode.vdisplay;
    const start = fb.offset + y * fb.pitch + x * 4;
    const px = fb.bo.pixels();
    return { width: w, height: h, stride: fb.pitch, pixels: px.subarray(start, start + (h - 1) * fb.pitch + w * 4) };
  }

  /** Hand the scanout's pixels to the sink (nothing while DPMS is off or there is no sink). */
  sendFrame(rects: Rect[]): void {
    const sink = this.display.sink;
    const v = this.scanoutView();
    if (!sink || !v) return;
    sink.frame(v.width, v.height, v.stride, v.pixels, rects);
  }

  /** Periodic refresh for a scanout whose framebuffer never reported damage. */
  private updateRefresh(): void {
    const fb = this.crtc.fb;
    const want = fb !== null && this.crtc.mode !== null && !this.damageReporters.has(fb.owner);
    if (!want) { this.stopRefresh(); return; }
    if (this.refreshTimer) return;
    this.refreshTimer = setInterval(() => {
      const m = this.crtc.mode;
      if (m) this.sendFrame([{ x: 0, y: 0, w: m.hdisplay, h: m.vdisplay }]);
    }, 1000 / this.display.refresh);
  }

  private stopRefresh(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  setDpms(v: number): void {
    const was = this.props.get(2);
    this.props.set(2, v);
    if (was === v) return;
    if (v === DPMS_OFF) this.display.sink?.blank();
    else if (v === DPMS_ON && this.crtc.mode) this.sendFrame([{ x: 0, y: 0, w: this.crtc.mode.hdisplay, h: this.crtc.mode.vdisplay }]);
  }

  /** SETGAMMA: the display shows the scanout through the new ramp (null when it is the identity); the whole screen is resent. */
  gammaChanged(): void {
    const g = this.gamma;
    let identity = true;
    for (let i = 0; i < GAMMA_SIZE && identity; i++) identity = g.red[i] >> 8 === i && g.green[i] >> 8 === i && g.blue[i] >> 8 === i;
    this.display.gamma = identity ? null : { red: g.red.slice(), green: g.green.slice(), blue: g.blue.slice() };
    if (this.crtc.mode) this.sendFrame([{ x: 0, y: 0, w: this.crtc.mode.hdisplay, h: this.crtc.mode.vdisplay }]);
  }

  // ---- cursor plane ----

  setCursor(image: Uint8Array | null, width: number, height: number, hotX: number, hotY: number): void {
    // The plane keeps its top-left; the hotspot moves where the host puts the pointer.
    this.cursor.hotX = hotX;
    this.cursor.hotY = hotY;
    this.cursor.visible = image !== null;
    this.display.sink?.cursor(image ? { width, height, hotX, hotY, pixels: image } : null);
    if (image) this.display.sink?.cursorMove(this.cursor.x + hotX, this.cursor.y + hotY);
  }

  moveCursor(x: number, y: number): void {
    this.cursor.x = x;
    this.cursor.y = y;
    this.display.sink?.cursorMove(x + this.cursor.hotX, y + this.cursor.hotY);
  }

  // ---- vblank clock ----

  private periodNs(): bigint { return BigInt(Math.round(1e9 / this.display.refresh)); }

  /** The current vblank count and the time (CLOCK_MONOTONIC ns) it began. */
  vblank(): { seq: number; ns: bigint } {
    const p = this.periodNs();
    const n = (monotonicNs(this.kernel) - this.vblankEpoch) / p;
    return { seq: Number(n & 0xffffffffn), ns: this.vblankEpoch + n * p };
  }

  private msToNextVblank(): number {
    const p = this.periodNs();
    const since = (monotonicNs(this.kernel) - this.vblankEpoch) % p;
    return Math.max(1, Math.ceil(Number(p - since) / 1e6));
  }

  /** Schedule vblank work (a pending flip, event waiters) at the next vblank. */
  armVblank(): void {
    if (this.vblankTimer || (!this.flip && !this.vblankWaiters.length)) return;
    this.vblankTimer = setTimeout(() => { this.vblankTimer = null; this.onVblank(); }, this.msToNextVblank());
  }

  private onVblank(): void {
    const now = this.vblank();
    const f = this.flip;
    if (f) {
      this.flip = null;
      if (this.crtc.mode) {
        this.crtc.fb = f.fb;
        this.dirty = [];
        this.sendFrame([{ x: 0, y: 0, w: this.crtc.mode.hdisplay, h: this.crtc.mode.vdisplay }]);
        this.updateRefresh();
      }
      if (f.event) f.file.queueEvent(EVENT_TYPE_FLIP_COMPLETE, f.userData, now.ns, now.seq, CRTC_ID, true);
    }
    for (let i = this.vblankWaiters.length - 1; i >= 0; i--) {
      const w = this.vblankWaiters[i];
      if (((now.seq - w.seq) | 0) >= 0) {
        this.vblankWaiters.splice(i, 1);
        w.file.queueEvent(1, w.userData, now.ns, now.seq, CRTC_ID, true);
      }
    }
    this.armVblank();
  }

  // ---- hotplug ----

  /** drm_connector modes re-probed (GETCONNECTOR with count_modes 0 by the master). */
  probeModes(): void {
    this.modes = connectorModes(this.display.width, this.display.height, this.display.refresh);
  }

  /** The host display changed size: new modes, and a "change" uevent with HOTPLUG=1 (drm_sysfs_hotplug_event). */
  private hotplug(): void {
    this.probeModes();
    // kobject_uevent_env's order: the default keys, the caller's (HOTPLUG), dev_uevent's, SEQNUM.
    this.uevent?.('change', CARD_DEVPATH, {
      SUBSYSTEM: 'drm', HOTPLUG: '1', MAJOR: '226', MINOR: '0', DEVNAME: 'dri/card0', DEVTYPE: 'drm_minor', SEQNUM: String(this.seqnum++),
    });
  }

  /** The last file closed or the device was dropped: stop timers. */
  idle(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.vblankTimer) clearTimeout(this.vblankTimer);
    this.flushTimer = this.vblankTimer = null;
    this.stopRefresh();
  }
}
