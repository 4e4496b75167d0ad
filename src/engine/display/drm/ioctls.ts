/**
 * The DRM ioctl handlers, one per row of uapi.ts IOCTLS. Each gets the kernel's copy of
 * the struct (file.ts copied it in and copies it back out) and returns 0 or -errno. The
 * checks and their order follow the kernel functions named on each handler
 * (drivers/gpu/drm/drm_*.c, Linux 6.1 as Debian bookworm ships): which errno a bad
 * request gets is part of the ABI clients probe with (Xorg's DIRTYFB probe, libdrm's
 * two-pass array reads).
 */
import {
  EACCES, EBUSY, EFAULT, EINTR, EINVAL, ENOENT, ENOMEM, ENOSPC, ENOSYS, EOPNOTSUPP, ERANGE,
} from '../../abi/errno.js';
import { copyIn, copyOut, putU32, type UserMem } from '../../mem/uaccess.js';
import { INTERRUPTED, waitAny } from '../../wait/queue.js';
import type { Caller } from '../../fs/types.js';
import type { Rect } from '../display.js';
import {
  CAP, CARD_RES, CLIENT_CAP, CLIP_RECT, CONNECTED, CONNECTOR, CONN_SET_PROPERTY, CREATE_DUMB, CRTC, CRTC_GET_SEQUENCE, CRTC_LUT,
  CURSOR, CURSOR_BO, CURSOR_MOVE, DESTROY_DUMB, DIRTY, DRM_IF_MAJOR, DRM_IF_MINOR, ENCODER, EVENT_TYPE_VBLANK, EVENT_VBLANK,
  FB_CMD, FB_CMD2, FB_DIRTY_ANNOTATE_COPY, FB_DIRTY_FLAGS, FB_DIRTY_MAX_CLIPS, FB_INTERLACED, FB_MODIFIERS, FORMAT_XRGB8888,
  GEM_CLOSE, GET_CAP, GET_PROPERTY, LEGACY_FORMATS, LIST_LESSEES, MAP_DUMB, MODEINFO, MODE_FLAG_PIC_AR_MASK, OBJ,
  OBJ_GET_PROPERTIES, OBJ_SET_PROPERTY, PAGE_FLIP, PAGE_FLIP_ASYNC, PAGE_FLIP_EVENT, PAGE_FLIP_FLAGS, PAGE_FLIP_TARGET_ABSOLUTE,
  PAGE_FLIP_TARGET_RELATIVE, PLANE_FORMATS, PLANE_RES, PROP, PROPERTY_ENUM, RMFB, SET_VERSION, SUBPIXEL_UNKNOWN, UNIQUE,
  VBLANK, VBLANK_FLAGS_MASK, VERSION, WAIT_VBLANK, fourcc,
} from './uapi.js';
import {
  CONNECTOR_ID, CONNECTOR_TYPE, CONNECTOR_TYPE_ID, CRTC_ID, CURSOR_SIZE, ENCODER_ID, ENCODER_TYPE, GAMMA_SIZE, MAX_SIZE, MIN_SIZE,
  POSSIBLE_CLONES, POSSIBLE_CRTCS, PROPERTIES, mmOf, objectType, propertyById, propertyValueValid, type Framebuffer,
} from './objects.js';
import { getMode, putMode, validateMode, type Mode } from './modes.js';
import { dumbLayout } from './dumb.js';
import type { DrmFile } from './file.js';

export type Handler = (f: DrmFile, t: Caller, k: DataView) => number | Promise<number>;

/** The driver's identity (drm_driver name/date/desc, major.minor.patchlevel). */
export const DRIVER = { name: 'webx86', date: '20261206', desc: 'webx86 virtual KMS display', major: 1, minor: 0, patch: 0 } as const;
/** The device's bus id (dev->unique, a platform device's name). */
const UNIQUE_NAME = 'webx86-kms';

const enc = new TextEncoder();
const u32 = (k: DataView, o: number) => k.getUint32(o, true);
const i32 = (k: DataView, o: number) => k.getInt32(o, true);
const set32 = (k: DataView, o: number, v: number) => k.setUint32(o, v >>> 0, true);
/** A __u64 user pointer: a 32-bit kernel uses its low half (u64_to_user_ptr). */
const ptr = (k: DataView, o: number) => k.getUint32(o, true);
const putU64 = (t: UserMem, a: number, v: bigint): boolean => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return copyOut(t, a, b);
};

/** drm_copy_field: copy what fits, always report the full length. */
function copyField(t: Caller, k: DataView, lenOff: number, ptrOff: number, value: string): number {
  const bytes = enc.encode(value);
  const room = u32(k, lenOff);
  const n = Math.min(room, bytes.length);
  set32(k, lenOff, bytes.length);
  const p = u32(k, ptrOff);
  if (n && p && !copyOut(t, p, bytes.subarray(0, n))) return -EFAULT;
  return 0;
}

/** Put ids into a user array element by element while the user's count allows (drm_mode_getresources). */
function putIds(t: Caller, base: number, room: number, ids: readonly number[]): boolean {
  for (let i = 0; i < ids.length; i++) if (i < room && !putU32(t, base + 4 * i, ids[i])) return false;
  return true;
}

/** The connector's properties and values, as drm_mode_object_get_properties writes them. */
function putProperties(f: DrmFile, t: Caller, k: DataView, propsOff: number, valuesOff: number, countOff: number, ids: readonly number[]): number {
  const room = u32(k, countOff);
  for (let i = 0; i < ids.length; i++) {
    if (i >= room) continue;
    if (!putU32(t, ptr(k, propsOff) + 4 * i, ids[i])) return -EFAULT;
    if (!putU64(t, ptr(k, valuesOff) + 8 * i, BigInt(f.dev.props.get(ids[i]) ?? 0))) return -EFAULT;
  }
  set32(k, countOff, ids.length);
  return 0;
}

const CONNECTOR_PROPS = PROPERTIES.map((p) => p.id);

/** drm_framebuffer_lookup: any file's framebuffer by id. */
const fbLookup = (f: DrmFile, id: number): Framebuffer | undefined => f.dev.fbs.get(id);

/**
 * drm_mode_addfb2 → framebuffer_check → drm_gem_fb_create: checks in the kernel's order.
 * `planes` are (handle, pitch, offset) of plane 0 (the only plane of the formats here).
 */
function addFb(f: DrmFile, width: number, height: number, format: number, flags: number, handle: number, pitch: number, offset: number): Framebuffer | number {
  if (flags & ~(FB_INTERLACED | FB_MODIFIERS)) return -EINVAL;
  if (flags & FB_MODIFIERS) return -EINVAL; // DRM_CAP_ADDFB2_MODIFIERS is 0
  if (!PLANE_FORMATS.includes(format)) return -EINVAL;
  if (width < MIN_SIZE || width > MAX_SIZE || height < MIN_SIZE || height > MAX_SIZE) return -EINVAL;
  if (!handle) return -EINVAL;
  const cpp = 4;
  if (height * pitch + offset > 0xffffffff) return -ERANGE;
  if (pitch < width * cpp) return -EINVAL;
  const bo = f.handles.get(handle);
  if (!bo) return -ENOENT;
  // drm_gem_fb_init_with_funcs: the object must hold (height-1) * pitch + width * cpp + offset bytes.
  if (bo.size < (height - 1) * pitch + width * cpp + offset) return -EINVAL;
  return f.dev.addFb({ width, height, format, bpp: 32, depth: format === FORMAT_XRGB8888 ? 24 : 32, pitch, offset, bo, owner: f });
}

/** Wait (interruptibly) until vblank `seq` has passed; -EBUSY after 3 s (drm_wait_vblank_ioctl's timeout). */
async function waitSeq(f: DrmFile, t: Caller, seq: number): Promise<number> {
  const deadline = performance.now() + 3000;
  for (;;) {
    const now = f.dev.vblank().seq;
    if (((now - seq) | 0) >= 0) return 0;
    const left = deadline - performance.now();
    if (left <= 0) return -EBUSY;
    const ms = Math.min(left, Math.max(1, ((seq - now) | 0) * (1000 / f.dev.display.refresh)));
    if ((await waitAny([], t.interrupt, ms)) === INTERRUPTED) return -EINTR; // drm_wait_vblank_ioctl does not restart
  }
}

export const HANDLERS: Record<string, Handler> = {
  /** drm_version. */
  VERSION: (_f, t, k) => {
    set32(k, VERSION.major, DRIVER.major);
    set32(k, VERSION.minor, DRIVER.minor);
    set32(k, VERSION.patch, DRIVER.patch);
    return copyField(t, k, VERSION.nameLen, VERSION.name, DRIVER.name)
      || copyField(t, k, VERSION.dateLen, VERSION.date, DRIVER.date)
      || copyField(t, k, VERSION.descLen, VERSION.desc, DRIVER.desc);
  },

  /** drm_getunique: the master's bus id, set by SET_VERSION 1.1 (empty before). */
  GET_UNIQUE: (f, t, k) => {
    const u = f.dev.unique;
    if (u32(k, UNIQUE.len) >= u.length && u.length && !copyOut(t, ptr(k, UNIQUE.ptr), enc.encode(u))) return -EFAULT;
    set32(k, UNIQUE.len, u.length);
    return 0;
  },

  /** drm_getmagic. */
  GET_MAGIC: (f, _t, k) => { set32(k, 0, f.magic); return 0; },

  /** drm_authmagic: a master authenticates another file by its magic. */
  AUTH_MAGIC: (f, _t, k) => {
    const m = u32(k, 0);
    for (const o of f.dev.files) if (o.magic === m) { o.authenticated = true; return 0; }
    return -EINVAL;
  },

  /** drm_setversion. */
  SET_VERSION: (f, _t, k) => {
    const diMajor = i32(k, SET_VERSION.diMajor), diMinor = i32(k, SET_VERSION.diMinor);
    const ddMajor = i32(k, SET_VERSION.ddMajor), ddMinor = i32(k, SET_VERSION.ddMinor);
    let r = 0;
    if (diMajor !== -1) {
      if (diMajor !== DRM_IF_MAJOR || diMinor < 0 || diMinor > DRM_IF_MINOR) r = -EINVAL;
      else if (diMinor >= 1) {
        if (f.dev.unique) r = -EBUSY;
        else f.dev.unique = UNIQUE_NAME;
      }
    }
    if (!r && ddMajor !== -1 && (ddMajor !== DRIVER.major || ddMinor < 0 || ddMinor > DRIVER.minor)) r = -EINVAL;
    set32(k, SET_VERSION.diMajor, DRM_IF_MAJOR);
    set32(k, SET_VERSION.diMinor, DRM_IF_MINOR);
    set32(k, SET_VERSION.ddMajor, DRIVER.major);
    set32(k, SET_VERSION.ddMinor, DRIVER.minor);
    return r;
  },

  /** drm_gem_close_ioctl. */
  GEM_CLOSE: (f, _t, k) => f.dropHandle(u32(k, GEM_CLOSE.handle)),

  /** drm_getcap. */
  GET_CAP: (_f, _t, k) => {
    const cap = k.getBigUint64(GET_CAP.capability, true);
    const values: Record<number, number> = {
      [CAP.DUMB_BUFFER]: 1, [CAP.VBLANK_HIGH_CRTC]: 1, [CAP.DUMB_PREFERRED_DEPTH]: 24, [CAP.DUMB_PREFER_SHADOW]: 0,
      [CAP.PRIME]: 0, [CAP.TIMESTAMP_MONOTONIC]: 1, [CAP.ASYNC_PAGE_FLIP]: 0, [CAP.CURSOR_WIDTH]: CURSOR_SIZE,
      [CAP.CURSOR_HEIGHT]: CURSOR_SIZE, [CAP.ADDFB2_MODIFIERS]: 0, [CAP.PAGE_FLIP_TARGET]: 0, [CAP.CRTC_IN_VBLANK_EVENT]: 1,
      [CAP.SYNCOBJ]: 0, [CAP.SYNCOBJ_TIMELINE]: 0,
    };
    k.setBigUint64(GET_CAP.value, 0n, true);
    const v = cap <= 0xffn ? values[Number(cap)] : undefined;
    if (v === undefined) return -EINVAL;
    k.setBigUint64(GET_CAP.value, BigInt(v), true);
    return 0;
  },

  /** drm_setclientcap: atomic needs DRIVER_ATOMIC (EOPNOTSUPP), writeback needs atomic (EINVAL). */
  SET_CLIENT_CAP: (f, _t, k) => {
    const cap = k.getBigUint64(0, true), v = k.getBigUint64(8, true);
    switch (cap) {
      case BigInt(CLIENT_CAP.STEREO_3D): if (v > 1n) return -EINVAL; f.stereo = v === 1n; return 0;
      case BigInt(CLIENT_CAP.UNIVERSAL_PLANES): if (v > 1n) return -EINVAL; f.universalPlanes = v === 1n; return 0;
      case BigInt(CLIENT_CAP.ATOMIC): return -EOPNOTSUPP;
      case BigInt(CLIENT_CAP.ASPECT_RATIO): if (v > 1n) return -EINVAL; f.aspectRatio = v === 1n; return 0;
      case BigInt(CLIENT_CAP.WRITEBACK_CONNECTORS): return -EINVAL;
    }
    return -EINVAL;
  },

  /** drm_setmaster_ioctl: EBUSY while another file is master; taking it needs root or having been master. */
  SET_MASTER: (f, t) => {
    const d = f.dev;
    if (d.master === f) return 0;
    if (!f.wasMaster && t.creds.euid !== 0) return -EACCES;
    if (d.master) return -EBUSY;
    d.master = f;
    f.wasMaster = true;
    return 0;
  },

  /** drm_dropmaster_ioctl. */
  DROP_MASTER: (f) => {
    if (f.dev.master !== f) return -EINVAL;
    f.dev.master = null;
    return 0;
  },

  /** The driver sets no prime_handle_to_fd/fd_to_handle (DRM_CAP_PRIME is 0): drm_prime_*_ioctl answer ENOSYS. */
  PRIME_HANDLE_TO_FD: () => -ENOSYS,
  PRIME_FD_TO_HANDLE: () => -ENOSYS,

  /** drm_wait_vblank_ioctl. */
  WAIT_VBLANK: async (f, t, k) => {
    const type = u32(k, WAIT_VBLANK.type);
    if (type & VBLANK.SIGNAL) return -EINVAL;
    if (type & ~(VBLANK.TYPES_MASK | VBLANK_FLAGS_MASK | VBLANK.HIGH_CRTC_MASK)) return -EINVAL;
    const high = (type & VBLANK.HIGH_CRTC_MASK) >>> VBLANK.HIGH_CRTC_SHIFT;
    const pipe = high || (type & VBLANK.SECONDARY ? 1 : 0);
    if (pipe >= 1) return -EINVAL;
    const d = f.dev;
    // drm_vblank_get fails while the CRTC is off.
    if (!d.crtc.mode) return -EINVAL;
    const now = d.vblank();
    let req: number;
    let outType = type;
    let seq = u32(k, WAIT_VBLANK.sequence);
    switch (type & VBLANK.TYPES_MASK) {
      case VBLANK.RELATIVE: req = (now.seq + seq) >>> 0; seq = req; outType &= ~VBLANK.RELATIVE; break;
      default: req = seq; break;
    }
    if (type & VBLANK.NEXTONMISS && ((now.seq - req) | 0) >= 0) { req = (now.seq + 1) >>> 0; outType &= ~VBLANK.NEXTONMISS; seq = req; }
    set32(k, WAIT_VBLANK.type, outType);
    set32(k, WAIT_VBLANK.sequence, seq);
    if (type & VBLANK.EVENT) {
      // drm_queue_vblank_event: the event's space is reserved now.
      if (f.eventSpace < EVENT_VBLANK.size) return -ENOMEM;
      f.eventSpace -= EVENT_VBLANK.size;
      const userData = BigInt(u32(k, 8)); // request.signal carries the user data
      if (((now.seq - req) | 0) >= 0) {
        f.queueEvent(EVENT_TYPE_VBLANK, userData, now.ns, now.seq, CRTC_ID, true);
        set32(k, WAIT_VBLANK.sequence, now.seq);
      } else {
        d.vblankWaiters.push({ file: f, seq: req, userData });
        d.armVblank();
        set32(k, WAIT_VBLANK.sequence, req);
      }
      return 0;
    }
    if (req !== now.seq) {
      const r = await waitSeq(f, t, req);
      if (r) return r;
    }
    const v = d.vblank();
    const us = v.ns / 1000n;
    set32(k, WAIT_VBLANK.sequence, v.seq);
    set32(k, WAIT_VBLANK.tvalSec, Number(us / 1_000_000n));
    set32(k, WAIT_VBLANK.tvalUsec, Number(us % 1_000_000n));
    return 0;
  },

  /** drm_crtc_get_sequence_ioctl. */
  CRTC_GET_SEQUENCE: (f, _t, k) => {
    if (u32(k, CRTC_GET_SEQUENCE.crtcId) !== CRTC_ID) return -ENOENT;
    const d = f.dev;
    const active = d.crtc.mode !== null;
    const v = d.vblank();
    set32(k, CRTC_GET_SEQUENCE.active, active ? 1 : 0);
    k.setBigUint64(CRTC_GET_SEQUENCE.sequence, active ? BigInt(v.seq) : 0n, true);
    k.setBigInt64(CRTC_GET_SEQUENCE.sequenceNs, active ? v.ns : 0n, true);
    return 0;
  },

  /** drm_mode_getresources: per-element copies while the user's counts allow, real counts always. */
  MODE_GETRESOURCES: (f, t, k) => {
    const fbs = [...f.dev.fbs.values()].filter((fb) => fb.owner === f).map((fb) => fb.id);
    if (!putIds(t, ptr(k, CARD_RES.fbIdPtr), u32(k, CARD_RES.countFbs), fbs)) return -EFAULT;
    set32(k, CARD_RES.countFbs, fbs.length);
    set32(k, CARD_RES.maxHeight, MAX_SIZE);
    set32(k, CARD_RES.minHeight, MIN_SIZE);
    set32(k, CARD_RES.maxWidth, MAX_SIZE);
    set32(k, CARD_RES.minWidth, MIN_SIZE);
    if (!putIds(t, ptr(k, CARD_RES.crtcIdPtr), u32(k, CARD_RES.countCrtcs), [CRTC_ID])) return -EFAULT;
    set32(k, CARD_RES.countCrtcs, 1);
    if (!putIds(t, ptr(k, CARD_RES.encoderIdPtr), u32(k, CARD_RES.countEncoders), [ENCODER_ID])) return -EFAULT;
    set32(k, CARD_RES.countEncoders, 1);
    if (!putIds(t, ptr(k, CARD_RES.connectorIdPtr), u32(k, CARD_RES.countConnectors), [CONNECTOR_ID])) return -EFAULT;
    set32(k, CARD_RES.countConnectors, 1);
    return 0;
  },

  /** drm_mode_getcrtc. */
  MODE_GETCRTC: (f, _t, k) => {
    if (u32(k, CRTC.crtcId) !== CRTC_ID) return -ENOENT;
    const c = f.dev.crtc;
    set32(k, CRTC.gammaSize, GAMMA_SIZE);
    set32(k, CRTC.fbId, c.fb?.id ?? 0);
    set32(k, CRTC.x, c.x);
    set32(k, CRTC.y, c.y);
    if (c.mode) {
      putMode(k, CRTC.mode, c.mode);
      if (!f.aspectRatio) set32(k, CRTC.mode + MODEINFO.flags, u32(k, CRTC.mode + MODEINFO.flags) & ~MODE_FLAG_PIC_AR_MASK);
      set32(k, CRTC.modeValid, 1);
    } else set32(k, CRTC.modeValid, 0);
    return 0;
  },

  /** drm_mode_setcrtc. */
  MODE_SETCRTC: (f, t, k) => {
    const d = f.dev;
    const x = u32(k, CRTC.x), y = u32(k, CRTC.y);
    if (x & 0xffff0000 || y & 0xffff0000) return -ERANGE;
    if (u32(k, CRTC.crtcId) !== CRTC_ID) return -ENOENT;
    let fb: Framebuffer | undefined;
    let mode: Mode | null = null;
    if (u32(k, CRTC.modeValid)) {
      const fbId = u32(k, CRTC.fbId);
      if (fbId === 0xffffffff) {
        if (!d.crtc.fb) return -EINVAL;
        fb = d.crtc.fb;
      } else {
        fb = fbLookup(f, fbId);
        if (!fb) return -ENOENT;
      }
      mode = getMode(k, CRTC.mode);
      if (validateMode(mode)) return -EINVAL;
      if (!PLANE_FORMATS.includes(fb.format)) return -EINVAL;
      // drm_crtc_check_viewport: the mode must fit in the framebuffer at (x, y).
      if (mode.hdisplay > fb.width || mode.vdisplay > fb.height || x > fb.width - mode.hdisplay || y > fb.height - mode.vdisplay) return -ENOSPC;
    }
    const count = u32(k, CRTC.countConnectors);
    if (count === 0 && mode) return -EINVAL;
    if (count > 0 && (!mode || !fb)) return -EINVAL;
    if (count > 0) {
      if (count > 1) return -EINVAL;
      const ids = copyIn(t, ptr(k, CRTC.setConnectorsPtr), 4 * count);
      if (!ids) return -EFAULT;
      if (new DataView(ids.buffer).getUint32(0, true) !== CONNECTOR_ID) return -ENOENT;
    }
    d.setCrtc(mode ? fb! : null, x, y, mode);
    return 0;
  },

  /** drm_mode_cursor_ioctl (hotspot 0). */
  MODE_CURSOR: (f, t, k) => cursor(f, t, k, false),
  /** drm_mode_cursor2_ioctl. */
  MODE_CURSOR2: (f, t, k) => cursor(f, t, k, true),

  /** drm_mode_gamma_get_ioctl. */
  MODE_GETGAMMA: (f, t, k) => {
    if (u32(k, CRTC_LUT.crtcId) !== CRTC_ID) return -ENOENT;
    if (u32(k, CRTC_LUT.gammaSize) !== GAMMA_SIZE) return -EINVAL;
    const g = f.dev.gamma;
    for (const [o, a] of [[CRTC_LUT.red, g.red], [CRTC_LUT.green, g.green], [CRTC_LUT.blue, g.blue]] as const) {
      if (!copyOut(t, ptr(k, o), new Uint8Array(a.buffer.slice(0)))) return -EFAULT;
    }
    return 0;
  },

  /** drm_mode_gamma_set_ioctl: the table is kept (GETGAMMA returns it) and the display is shown through it. */
  MODE_SETGAMMA: (f, t, k) => {
    if (u32(k, CRTC_LUT.crtcId) !== CRTC_ID) return -ENOENT;
    if (u32(k, CRTC_LUT.gammaSize) !== GAMMA_SIZE) return -EINVAL;
    const g = f.dev.gamma;
    for (const [o, a] of [[CRTC_LUT.red, g.red], [CRTC_LUT.green, g.green], [CRTC_LUT.blue, g.blue]] as const) {
      const b = copyIn(t, ptr(k, o), GAMMA_SIZE * 2);
      if (!b) return -EFAULT;
      new Uint8Array(a.buffer).set(b);
    }
    f.dev.gammaChanged();
    return 0;
  },

  /** drm_mode_getencoder. */
  MODE_GETENCODER: (f, _t, k) => {
    if (u32(k, ENCODER.encoderId) !== ENCODER_ID) return -ENOENT;
    set32(k, ENCODER.crtcId, f.dev.crtc.mode ? CRTC_ID : 0);
    set32(k, ENCODER.encoderType, ENCODER_TYPE);
    set32(k, ENCODER.encoderId, ENCODER_ID);
    set32(k, ENCODER.possibleCrtcs, POSSIBLE_CRTCS);
    set32(k, ENCODER.possibleClones, POSSIBLE_CLONES);
    return 0;
  },

  /** drm_mode_getconnector: the master's count_modes == 0 call re-probes the modes (fill_modes). */
  MODE_GETCONNECTOR: (f, t, k) => {
    if (u32(k, CONNECTOR.connectorId) !== CONNECTOR_ID) return -ENOENT;
    const d = f.dev;
    if (u32(k, CONNECTOR.countEncoders) >= 1 && !putU32(t, ptr(k, CONNECTOR.encodersPtr), ENCODER_ID)) return -EFAULT;
    set32(k, CONNECTOR.countEncoders, 1);
    set32(k, CONNECTOR.connectorId, CONNECTOR_ID);
    set32(k, CONNECTOR.connectorType, CONNECTOR_TYPE);
    set32(k, CONNECTOR.connectorTypeId, CONNECTOR_TYPE_ID);
    if (u32(k, CONNECTOR.countModes) === 0 && f.isMaster) d.probeModes();
    const modes = d.modes;
    set32(k, CONNECTOR.mmWidth, mmOf(modes[0].hdisplay));
    set32(k, CONNECTOR.mmHeight, mmOf(modes[0].vdisplay));
    set32(k, CONNECTOR.subpixel, SUBPIXEL_UNKNOWN);
    set32(k, CONNECTOR.connection, CONNECTED);
    if (u32(k, CONNECTOR.countModes) >= modes.length) {
      const b = new Uint8Array(MODEINFO.size * modes.length);
      const dv = new DataView(b.buffer);
      modes.forEach((m, i) => {
        putMode(dv, i * MODEINFO.size, m);
        if (!f.aspectRatio) dv.setUint32(i * MODEINFO.size + MODEINFO.flags, m.flags & ~MODE_FLAG_PIC_AR_MASK, true);
      });
      if (!copyOut(t, ptr(k, CONNECTOR.modesPtr), b)) return -EFAULT;
    }
    set32(k, CONNECTOR.countModes, modes.length);
    set32(k, CONNECTOR.encoderId, d.crtc.mode ? ENCODER_ID : 0);
    return putProperties(f, t, k, CONNECTOR.propsPtr, CONNECTOR.propValuesPtr, CONNECTOR.countProps, CONNECTOR_PROPS);
  },

  /** drm_mode_getproperty_ioctl. */
  MODE_GETPROPERTY: (_f, t, k) => {
    const p = propertyById(u32(k, GET_PROPERTY.propId));
    if (!p) return -ENOENT;
    const name = enc.encode(p.name);
    for (let i = 0; i < GET_PROPERTY.nameLen; i++) k.setUint8(GET_PROPERTY.name + i, i < name.length ? name[i] : 0);
    set32(k, GET_PROPERTY.flags, p.flags);
    const vals = ptr(k, GET_PROPERTY.valuesPtr), room = u32(k, GET_PROPERTY.countValues);
    for (let i = 0; i < p.values.length; i++) if (i < room && !putU64(t, vals + 8 * i, BigInt(p.values[i]))) return -EFAULT;
    set32(k, GET_PROPERTY.countValues, p.values.length);
    if (p.flags & (PROP.ENUM | PROP.BITMASK)) {
      const enums = p.enums ?? [];
      const base = ptr(k, GET_PROPERTY.enumBlobPtr), eroom = u32(k, GET_PROPERTY.countEnumBlobs);
      for (let i = 0; i < enums.length; i++) {
        if (i >= eroom) continue;
        const b = new Uint8Array(PROPERTY_ENUM.size);
        const dv = new DataView(b.buffer);
        dv.setBigUint64(PROPERTY_ENUM.value, BigInt(enums[i][0]), true);
        b.set(enc.encode(enums[i][1]).subarray(0, 31), PROPERTY_ENUM.name);
        if (!copyOut(t, base + PROPERTY_ENUM.size * i, b)) return -EFAULT;
      }
      set32(k, GET_PROPERTY.countEnumBlobs, enums.length);
    }
    if (p.flags & PROP.BLOB) set32(k, GET_PROPERTY.countEnumBlobs, 0);
    return 0;
  },

  /** drm_connector_property_set_ioctl → drm_mode_obj_set_property_ioctl on the connector. */
  MODE_SETPROPERTY: (f, _t, k) => setProperty(f, u32(k, CONN_SET_PROPERTY.connectorId), OBJ.CONNECTOR, u32(k, CONN_SET_PROPERTY.propId), k.getBigUint64(CONN_SET_PROPERTY.value, true)),

  /** drm_mode_obj_set_property_ioctl. */
  MODE_OBJ_SETPROPERTY: (f, _t, k) => setProperty(f, u32(k, OBJ_SET_PROPERTY.objId), u32(k, OBJ_SET_PROPERTY.objType), u32(k, OBJ_SET_PROPERTY.propId), k.getBigUint64(OBJ_SET_PROPERTY.value, true)),

  /** drm_mode_getblob_ioctl: there are no blobs (EDID is 0). */
  MODE_GETPROPBLOB: () => -ENOENT,

  /** drm_mode_getfb: a handle only for the master or root (else 0), made in the caller's file. */
  MODE_GETFB: (f, t, k) => {
    const fb = fbLookup(f, u32(k, FB_CMD.fbId));
    if (!fb) return -ENOENT;
    set32(k, FB_CMD.height, fb.height);
    set32(k, FB_CMD.width, fb.width);
    set32(k, FB_CMD.depth, fb.depth);
    set32(k, FB_CMD.bpp, fb.bpp);
    set32(k, FB_CMD.pitch, fb.pitch);
    set32(k, FB_CMD.handle, f.isMaster || t.creds.euid === 0 ? f.handleOf(fb.bo) : 0);
    return 0;
  },

  /** drm_mode_addfb: (bpp, depth) → a legacy format, then as ADDFB2. */
  MODE_ADDFB: (f, _t, k) => {
    const bpp = u32(k, FB_CMD.bpp), depth = u32(k, FB_CMD.depth);
    const row = LEGACY_FORMATS.find((r) => r[0] === bpp && r[1] === depth);
    if (!row) return -EINVAL;
    const fb = addFb(f, u32(k, FB_CMD.width), u32(k, FB_CMD.height), fourcc(row[2]), 0, u32(k, FB_CMD.handle), u32(k, FB_CMD.pitch), 0);
    if (typeof fb === 'number') return fb;
    set32(k, FB_CMD.fbId, fb.id);
    return 0;
  },

  /** drm_mode_addfb2_ioctl: one-plane formats; the other planes' handles must be 0. */
  MODE_ADDFB2: (f, _t, k) => {
    for (let i = 1; i < 4; i++) if (u32(k, FB_CMD2.handles + 4 * i)) return -EINVAL;
    const fb = addFb(f, u32(k, FB_CMD2.width), u32(k, FB_CMD2.height), u32(k, FB_CMD2.pixelFormat), u32(k, FB_CMD2.flags),
      u32(k, FB_CMD2.handles), u32(k, FB_CMD2.pitches), u32(k, FB_CMD2.offsets));
    if (typeof fb === 'number') return fb;
    set32(k, FB_CMD2.fbId, fb.id);
    return 0;
  },

  /** drm_mode_rmfb: only the creating file may remove it (ENOENT otherwise). */
  MODE_RMFB: (f, _t, k) => {
    const fb = fbLookup(f, u32(k, RMFB.fbId));
    if (!fb || fb.owner !== f) return -ENOENT;
    f.dev.removeFb(fb);
    return 0;
  },

  /** drm_mode_page_flip_ioctl: the new framebuffer is shown at the next vblank, then the event is queued. */
  MODE_PAGE_FLIP: (f, _t, k) => {
    const flags = u32(k, PAGE_FLIP.flags);
    if (flags & ~PAGE_FLIP_FLAGS) return -EINVAL;
    if (flags & PAGE_FLIP_ASYNC) return -EINVAL;
    if ((flags & (PAGE_FLIP_TARGET_ABSOLUTE | PAGE_FLIP_TARGET_RELATIVE)) === (PAGE_FLIP_TARGET_ABSOLUTE | PAGE_FLIP_TARGET_RELATIVE)) return -EINVAL;
    if (u32(k, PAGE_FLIP.crtcId) !== CRTC_ID) return -ENOENT;
    if (flags & (PAGE_FLIP_TARGET_ABSOLUTE | PAGE_FLIP_TARGET_RELATIVE)) return -EINVAL; // no page_flip_target
    const d = f.dev;
    const old = d.crtc.fb;
    if (!old || !d.crtc.mode) return -EBUSY;
    const fb = fbLookup(f, u32(k, PAGE_FLIP.fbId));
    if (!fb) return -ENOENT;
    const m = d.crtc.mode;
    if (m.hdisplay > fb.width || m.vdisplay > fb.height || d.crtc.x > fb.width - m.hdisplay || d.crtc.y > fb.height - m.vdisplay) return -ENOSPC;
    if (old.format !== fb.format) return -EINVAL;
    if (d.flip) return -EBUSY;
    const event = (flags & PAGE_FLIP_EVENT) !== 0;
    if (event) {
      if (f.eventSpace < EVENT_VBLANK.size) return -ENOMEM;
      f.eventSpace -= EVENT_VBLANK.size;
    }
    d.flip = { file: f, fb, userData: k.getBigUint64(PAGE_FLIP.userData, true), event };
    d.armVblank();
    return 0;
  },

  /** drm_mode_dirtyfb_ioctl: the repaint path; the clips go to the sink at the next vblank. */
  MODE_DIRTYFB: (f, t, k) => {
    f.dev.reportsDamage(f);
    const fb = fbLookup(f, u32(k, DIRTY.fbId));
    if (!fb) return -ENOENT;
    const n = u32(k, DIRTY.numClips), clips = ptr(k, DIRTY.clipsPtr);
    if (!n !== !clips) return -EINVAL;
    const flags = u32(k, DIRTY.flags) & FB_DIRTY_FLAGS;
    if (flags & FB_DIRTY_ANNOTATE_COPY && n % 2) return -EINVAL;
    let rects: Rect[];
    if (n) {
      if (n > FB_DIRTY_MAX_CLIPS) return -EINVAL;
      const b = copyIn(t, clips, n * CLIP_RECT.size);
      if (!b) return -EFAULT;
      const dv = new DataView(b.buffer);
      rects = [];
      for (let i = 0; i < n; i++) {
        const x1 = dv.getUint16(i * 8, true), y1 = dv.getUint16(i * 8 + 2, true), x2 = dv.getUint16(i * 8 + 4, true), y2 = dv.getUint16(i * 8 + 6, true);
        if (x2 > x1 && y2 > y1) rects.push({ x: x1, y: y1, w: x2 - x1, h: y2 - y1 });
      }
    } else rects = [{ x: 0, y: 0, w: fb.width, h: fb.height }];
    f.dev.damage(fb, rects);
    return 0;
  },

  /** drm_mode_create_dumb_ioctl (+ the driver's dumb_create). */
  MODE_CREATE_DUMB: (f, _t, k) => {
    const h = u32(k, CREATE_DUMB.height), w = u32(k, CREATE_DUMB.width), bpp = u32(k, CREATE_DUMB.bpp);
    const l = dumbLayout(w, h, bpp);
    if (!l) return -EINVAL;
    set32(k, CREATE_DUMB.handle, 0);
    set32(k, CREATE_DUMB.pitch, 0);
    k.setBigUint64(CREATE_DUMB.size, 0n, true);
    const bo = f.dev.createBo(w, h, bpp, l.pitch, l.size);
    if (!bo) return -ENOMEM;
    set32(k, CREATE_DUMB.handle, f.addHandle(bo));
    set32(k, CREATE_DUMB.pitch, l.pitch);
    k.setBigUint64(CREATE_DUMB.size, BigInt(l.size), true);
    return 0;
  },

  /** drm_mode_mmap_dumb_ioctl → drm_gem_dumb_map_offset. */
  MODE_MAP_DUMB: (f, _t, k) => {
    const bo = f.handles.get(u32(k, MAP_DUMB.handle));
    if (!bo) return -ENOENT;
    k.setBigUint64(MAP_DUMB.offset, BigInt(bo.offset), true);
    return 0;
  },

  /** drm_mode_destroy_dumb_ioctl → drm_gem_handle_delete. */
  MODE_DESTROY_DUMB: (f, _t, k) => f.dropHandle(u32(k, DESTROY_DUMB.handle)),

  /** drm_mode_getplane_res: planes stay hidden (objects.ts). */
  MODE_GETPLANERESOURCES: (_f, _t, k) => { set32(k, PLANE_RES.countPlanes, 0); return 0; },

  /** drm_mode_obj_get_properties_ioctl: objects without a property list (encoders, fbs) are EINVAL. */
  MODE_OBJ_GETPROPERTIES: (f, t, k) => {
    const id = u32(k, OBJ_GET_PROPERTIES.objId), want = u32(k, OBJ_GET_PROPERTIES.objType);
    const type = objectType(id, f.dev.fbs);
    if (type === undefined || (want !== OBJ.ANY && want !== type)) return -ENOENT;
    if (type === OBJ.CONNECTOR) return putProperties(f, t, k, OBJ_GET_PROPERTIES.propsPtr, OBJ_GET_PROPERTIES.propValuesPtr, OBJ_GET_PROPERTIES.countProps, CONNECTOR_PROPS);
    if (type === OBJ.CRTC) return putProperties(f, t, k, OBJ_GET_PROPERTIES.propsPtr, OBJ_GET_PROPERTIES.propValuesPtr, OBJ_GET_PROPERTIES.countProps, []);
    return -EINVAL;
  },

  /** drm_mode_list_lessees_ioctl: no leases. */
  MODE_LIST_LESSEES: (_f, _t, k) => { set32(k, LIST_LESSEES.countLessees, 0); return 0; },
};

function setProperty(f: DrmFile, objId: number, objType: number, propId: number, value: bigint): number {
  const type = objectType(objId, f.dev.fbs);
  if (type === undefined || (objType !== OBJ.ANY && objType !== type)) return -ENOENT;
  if (type !== OBJ.CONNECTOR && type !== OBJ.CRTC) return -EINVAL;
  const p = type === OBJ.CONNECTOR ? propertyById(propId) : undefined;
  if (!p || !propertyValueValid(p, value)) return -EINVAL;
  if (p.name === 'DPMS') f.dev.setDpms(Number(value));
  else f.dev.props.set(p.id, Number(value));
  return 0;
}

/** drm_mode_cursor_common + the driver's cursor_set2/cursor_move. */
function cursor(f: DrmFile, _t: Caller, k: DataView, withHotspot: boolean): number {
  const flags = u32(k, CURSOR.flags);
  if (!flags || flags & ~(CURSOR_BO | CURSOR_MOVE)) return -EINVAL;
  if (u32(k, CURSOR.crtcId) !== CRTC_ID) return -ENOENT;
  const d = f.dev;
  if (flags & CURSOR_BO) {
    const handle = u32(k, CURSOR.handle);
    const hotX = withHotspot ? i32(k, CURSOR.hotX) : 0, hotY = withHotspot ? i32(k, CURSOR.hotY) : 0;
    if (!handle) d.setCursor(null, 0, 0, hotX, hotY);
    else {
      const w = u32(k, CURSOR.width), h = u32(k, CURSOR.height);
      if (!w || !h || w > CURSOR_SIZE || h > CURSOR_SIZE) return -EINVAL;
      const bo = f.handles.get(handle);
      if (!bo) return -ENOENT;
      if (bo.pitch * (h - 1) + w * 4 > bo.size) return -EINVAL;
      // The image as ARGB8888 rows of w pixels (the buffer's rows are `pitch` apart).
      const img = new Uint8Array(w * h * 4);
      const src = bo.read(0, bo.pitch * (h - 1) + w * 4);
      for (let y = 0; y < h; y++) img.set(src.subarray(y * bo.pitch, y * bo.pitch + w * 4), y * w * 4);
      d.setCursor(img, w, h, hotX, hotY);
    }
  }
  if (flags & CURSOR_MOVE) d.moveCursor(i32(k, CURSOR.x), i32(k, CURSOR.y));
  return 0;
}

