/**
 * An open /dev/dri/card0 (the kernel's struct drm_file): its GEM handles, the
 * framebuffers it created, its client capabilities, master status, and the queue of
 * events read(2) returns (page-flip completions, vblank events).
 *
 * ioctl(2) follows drm_ioctl (drivers/gpu/drm/drm_ioctl.c): the number alone picks the
 * handler (type and direction bits are not checked), the caller's size decides how many
 * bytes are copied in and out and the rest of the kernel's struct is zero; out-fields are
 * copied back even when the handler fails (the two-pass array protocol relies on counts
 * coming back). Numbers with no handler answer EINVAL, as the kernel's table does.
 */
import { File, POLLIN, POLLRDNORM, S_IFCHR, type Caller, type Stat } from '../../fs/types.js';
import { EACCES, EAGAIN, EFAULT, EINVAL, ERESTARTSYS } from '../../abi/errno.js';
import { copyIn, copyOut } from '../../mem/uaccess.js';
import { MAP_SHARED, PROT_WRITE, type AddressSpace } from '../../mem/address-space.js';
import { INTERRUPTED, waitAny } from '../../wait/queue.js';
import { DRM_MASTER, DRM_ROOT_ONLY, EVENT_SPACE, EVENT_VBLANK, IOC_IN, IOC_OUT, IOCTLS, iocDir, iocSize, type IoctlRow } from './uapi.js';
import type { DrmDevice } from './device.js';
import type { DumbBuffer } from './dumb.js';
import { HANDLERS } from './ioctls.js';

const BY_NR = new Map<number, IoctlRow>(IOCTLS.map((r) => [r.nr, r]));
const MAP_TYPE = 0x0f, MAP_SHARED_VALIDATE = 0x03;

let nextMagic = 1;

export class DrmFile extends File {
  /** GEM handles of this file (drm_file.object_idr): handle → buffer. */
  readonly handles = new Map<number, DumbBuffer>();
  private nextHandle = 1;
  /** Client capabilities (SET_CLIENT_CAP). */
  universalPlanes = false;
  aspectRatio = false;
  stereo = false;
  /** drm_file.was_master: may take master again without CAP_SYS_ADMIN. */
  wasMaster = false;
  authenticated = false;
  readonly magic = nextMagic++;
  private readonly events: Uint8Array[] = [];
  /** Bytes of event space left (drm_file.event_space). */
  eventSpace = EVENT_SPACE;
  private closed = false;

  constructor(readonly dev: DrmDevice, flags: number, path: string, private readonly node: () => Stat | Promise<Stat>, opener?: Caller) {
    super(flags, path);
    dev.files.add(this);
    // drm_master_open: the first opener of the primary node becomes master.
    if (!dev.master) { dev.master = this; this.wasMaster = true; this.authenticated = true; }
    else if (opener && opener.creds.euid === 0) this.authenticated = true;
  }

  get isMaster(): boolean { return this.dev.master === this; }

  stat(): Stat | Promise<Stat> { return this.node(); }

  /** drm_poll: readable while events are queued; never writable (there is no write). */
  poll(): number { return this.events.length ? POLLIN | POLLRDNORM : 0; }

  addHandle(bo: DumbBuffer): number {
    const h = this.nextHandle++;
    this.handles.set(h, bo);
    bo.refs++;
    return h;
  }

  /** drm_gem_handle_delete: EINVAL for an unknown handle. */
  dropHandle(h: number): number {
    const bo = this.handles.get(h);
    if (!bo) return -EINVAL;
    this.handles.delete(h);
    this.dev.unrefBo(bo);
    return 0;
  }

  handleOf(bo: DumbBuffer): number {
    for (const [h, b] of this.handles) if (b === bo) return h;
    return this.addHandle(bo);
  }

  /**
   * Queue a struct drm_event_vblank (drm_send_event). `reserved`: its space was taken when
   * the request was made (drm_event_reserve_init), as for flips.
   */
  queueEvent(type: number, userData: bigint, ns: bigint, seq: number, crtcId: number, reserved: boolean): void {
    if (this.closed) return;
    if (!reserved) {
      if (this.eventSpace < EVENT_VBLANK.size) return;
      this.eventSpace -= EVENT_VBLANK.size;
    }
    const b = new Uint8Array(EVENT_VBLANK.size);
    const dv = new DataView(b.buffer);
    dv.setUint32(EVENT_VBLANK.type, type, true);
    dv.setUint32(EVENT_VBLANK.length, EVENT_VBLANK.size, true);
    dv.setBigUint64(EVENT_VBLANK.userData, userData, true);
    const us = ns / 1000n;
    dv.setUint32(EVENT_VBLANK.tvSec, Number(us / 1_000_000n), true);
    dv.setUint32(EVENT_VBLANK.tvUsec, Number(us % 1_000_000n), true);
    dv.setUint32(EVENT_VBLANK.sequence, seq >>> 0, true);
    dv.setUint32(EVENT_VBLANK.crtcId, crtcId, true);
    this.events.push(b);
    this.waitq.wake();
  }

  /** drm_read: whole events only; blocks (or EAGAIN) while none; 0 if the first does not fit. */
  async read(t: Caller, buf: Uint8Array): Promise<number> {
    for (;;) {
      if (this.events.length) {
        let n = 0;
        while (this.events.length && this.events[0].length <= buf.length - n) {
          const e = this.events.shift()!;
          buf.set(e, n);
          n += e.length;
          this.eventSpace += e.length;
        }
        return n;
      }
      if (this.nonblock) return -EAGAIN;
      if ((await waitAny([this.waitq], t.interrupt)) === INTERRUPTED) return -ERESTARTSYS;
    }
  }

  /** No write method in drm_fops. */
  write(): number { return -EINVAL; }

  async ioctl(t: Caller, cmd: number, arg: number): Promise<number> {
    cmd >>>= 0;
    const row = BY_NR.get(cmd & 0xff);
    const handler = row && HANDLERS[row.name];
    if (!row || !handler) return -EINVAL;
    // drm_ioctl_permit.
    if (row.flags & DRM_ROOT_ONLY && t.creds.euid !== 0) return -EACCES;
    if (row.flags & DRM_MASTER && !this.isMaster) return -EACCES;
    const size = iocSize(cmd), dir = iocDir(cmd);
    const inSize = dir & row.dir & IOC_IN ? size : 0;
    const outSize = dir & row.dir & IOC_OUT ? size : 0;
    const k = new Uint8Array(Math.max(inSize, outSize, row.size));
    if (inSize) {
      const b = copyIn(t, arg, inSize);
      if (!b) return -EFAULT;
      k.set(b);
    }
    let r = await handler(this, t, new DataView(k.buffer));
    if (outSize && !copyOut(t, arg, k.subarray(0, outSize))) r = -EFAULT;
    return r;
  }

  /**
   * mmap of a dumb buffer at its fake offset (drm_gem_mmap): the offset must be where a
   * buffer this file holds a handle for starts (EINVAL otherwise; EACCES for another file's
   * buffer), the length within it (EINVAL), and the mapping shared (a private copy-on-write
   * mapping of a dumb buffer is EINVAL, as for GEM shmem objects).
   */
  mmap(t: Caller & { mem: AddressSpace }, at: number, len: number, prot: number, off: number, flags: number): number {
    let bo: DumbBuffer | undefined;
    for (const f of this.dev.files) for (const b of f.handles.values()) if (b.offset === off) bo = b;
    for (const fb of this.dev.fbs.values()) if (fb.bo.offset === off) bo = fb.bo;
    if (!bo || len > bo.size) return -EINVAL;
    if (![...this.handles.values()].includes(bo)) return -EACCES;
    if ((flags & MAP_TYPE) !== MAP_SHARED && (flags & MAP_TYPE) !== MAP_SHARED_VALIDATE) return -EINVAL;
    if (prot & PROT_WRITE && !this.writable) return -EACCES;
    bo.mapInto(t.mem, at, len, 0, prot, flags, this.path, 0);
    return at;
  }

  /**
   * drm_release: the file's framebuffers go (drm_fb_release, which turns off a CRTC that
   * scans one out), then its handles, its pending events and flips, and master status.
   */
  release(): void {
    this.closed = true;
    const d = this.dev;
    for (const fb of [...d.fbs.values()]) if (fb.owner === this) d.removeFb(fb);
    for (const h of [...this.handles.keys()]) this.dropHandle(h);
    if (d.flip?.file === this) d.flip = null;
    for (let i = d.vblankWaiters.length - 1; i >= 0; i--) if (d.vblankWaiters[i].file === this) d.vblankWaiters.splice(i, 1);
    this.events.length = 0;
    if (d.master === this) d.master = null;
    d.files.delete(this);
    if (!d.files.size) d.idle();
  }
}

/** The character device node: stat for a card0 opened without an inode (kernel-internal opens). */
export function cardStat(rdev: number, dev: number): Stat {
  const ts = { sec: 0, nsec: 0 };
  return { dev, ino: 0, mode: S_IFCHR | 0o666, nlink: 1, uid: 0, gid: 0, rdev, size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
}

