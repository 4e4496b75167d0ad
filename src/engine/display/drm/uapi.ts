/**
 * The DRM user ABI as i386 sees it: ioctl numbers, struct layouts and constants, one table
 * per fact. Sources: include/uapi/drm/drm.h and drm_mode.h (libdrm 2.4.107 copies), the
 * kernel's ioctl table (drivers/gpu/drm/drm_ioctl.c drm_ioctls[]), and the offsets and sizes
 * measured with gcc -m32 (shared/reference/kms/layout32.txt): __u64 is 4-byte aligned inside
 * i386 structs, so several sizes differ from x86-64 (drm_mode_obj_get_properties is 28
 * bytes, not 32). Every *_ptr field is a __u64 holding a 32-bit user address.
 */

/** _IOC direction bits (asm-generic/ioctl.h): bit 30 = the kernel reads (IOC_IN), bit 31 = it writes (IOC_OUT). */
export const IOC_IN = 1, IOC_OUT = 2;
export const iocDir = (cmd: number): number => (cmd >>> 30) & 3;
export const iocSize = (cmd: number): number => (cmd >>> 16) & 0x3fff;
export const iocType = (cmd: number): number => (cmd >>> 8) & 0xff;
export const iocNr = (cmd: number): number => cmd & 0xff;

/** drm_ioctl_desc flags (drm_ioctl.h): who may call. */
export const DRM_AUTH = 1, DRM_MASTER = 2, DRM_ROOT_ONLY = 4, DRM_RENDER_ALLOW = 0x20;

/**
 * The core ioctls this device answers: nr, name, the kernel's own direction and struct size
 * (its cmd), and the permission flags of drm_ioctls[]. The kernel dispatches on the number
 * alone and copies the size the caller's cmd gives (drm_ioctl); see file.ts.
 */
export interface IoctlRow { nr: number; name: string; dir: number; size: number; flags: number }
export const IOCTLS: readonly IoctlRow[] = [
  { nr: 0x00, name: 'VERSION', dir: IOC_IN | IOC_OUT, size: 36, flags: DRM_RENDER_ALLOW },
  { nr: 0x01, name: 'GET_UNIQUE', dir: IOC_IN | IOC_OUT, size: 8, flags: 0 },
  { nr: 0x02, name: 'GET_MAGIC', dir: IOC_OUT, size: 4, flags: 0 },
  { nr: 0x07, name: 'SET_VERSION', dir: IOC_IN | IOC_OUT, size: 16, flags: DRM_MASTER },
  { nr: 0x09, name: 'GEM_CLOSE', dir: IOC_IN, size: 8, flags: DRM_RENDER_ALLOW },
  { nr: 0x0c, name: 'GET_CAP', dir: IOC_IN | IOC_OUT, size: 16, flags: DRM_RENDER_ALLOW },
  { nr: 0x0d, name: 'SET_CLIENT_CAP', dir: IOC_IN, size: 16, flags: 0 },
  { nr: 0x11, name: 'AUTH_MAGIC', dir: IOC_IN, size: 4, flags: DRM_MASTER },
  { nr: 0x1e, name: 'SET_MASTER', dir: 0, size: 0, flags: 0 },
  { nr: 0x1f, name: 'DROP_MASTER', dir: 0, size: 0, flags: 0 },
  { nr: 0x2d, name: 'PRIME_HANDLE_TO_FD', dir: IOC_IN | IOC_OUT, size: 12, flags: DRM_RENDER_ALLOW },
  { nr: 0x2e, name: 'PRIME_FD_TO_HANDLE', dir: IOC_IN | IOC_OUT, size: 12, flags: DRM_RENDER_ALLOW },
  { nr: 0x3a, name: 'WAIT_VBLANK', dir: IOC_IN | IOC_OUT, size: 16, flags: 0 },
  { nr: 0x3b, name: 'CRTC_GET_SEQUENCE', dir: IOC_IN | IOC_OUT, size: 24, flags: 0 },
  { nr: 0xa0, name: 'MODE_GETRESOURCES', dir: IOC_IN | IOC_OUT, size: 64, flags: 0 },
  { nr: 0xa1, name: 'MODE_GETCRTC', dir: IOC_IN | IOC_OUT, size: 104, flags: 0 },
  { nr: 0xa2, name: 'MODE_SETCRTC', dir: IOC_IN | IOC_OUT, size: 104, flags: DRM_MASTER },
  { nr: 0xa3, name: 'MODE_CURSOR', dir: IOC_IN | IOC_OUT, size: 28, flags: DRM_MASTER },
  { nr: 0xa4, name: 'MODE_GETGAMMA', dir: IOC_IN | IOC_OUT, size: 32, flags: 0 },
  { nr: 0xa5, name: 'MODE_SETGAMMA', dir: IOC_IN | IOC_OUT, size: 32, flags: DRM_MASTER },
  { nr: 0xa6, name: 'MODE_GETENCODER', dir: IOC_IN | IOC_OUT, size: 20, flags: 0 },
  { nr: 0xa7, name: 'MODE_GETCONNECTOR', dir: IOC_IN | IOC_OUT, size: 80, flags: 0 },
  { nr: 0xaa, name: 'MODE_GETPROPERTY', dir: IOC_IN | IOC_OUT, size: 64, flags: 0 },
  { nr: 0xab, name: 'MODE_SETPROPERTY', dir: IOC_IN | IOC_OUT, size: 16, flags: DRM_MASTER },
  { nr: 0xac, name: 'MODE_GETPROPBLOB', dir: IOC_IN | IOC_OUT, size: 16, flags: 0 },
  { nr: 0xad, name: 'MODE_GETFB', dir: IOC_IN | IOC_OUT, size: 28, flags: 0 },
  { nr: 0xae, name: 'MODE_ADDFB', dir: IOC_IN | IOC_OUT, size: 28, flags: 0 },
  { nr: 0xaf, name: 'MODE_RMFB', dir: IOC_IN | IOC_OUT, size: 4, flags: 0 },
  { nr: 0xb0, name: 'MODE_PAGE_FLIP', dir: IOC_IN | IOC_OUT, size: 24, flags: DRM_MASTER },
  { nr: 0xb1, name: 'MODE_DIRTYFB', dir: IOC_IN | IOC_OUT, size: 24, flags: DRM_MASTER },
  { nr: 0xb2, name: 'MODE_CREATE_DUMB', dir: IOC_IN | IOC_OUT, size: 32, flags: 0 },
  { nr: 0xb3, name: 'MODE_MAP_DUMB', dir: IOC_IN | IOC_OUT, size: 16, flags: 0 },
  { nr: 0xb4, name: 'MODE_DESTROY_DUMB', dir: IOC_IN | IOC_OUT, size: 4, flags: 0 },
  { nr: 0xb5, name: 'MODE_GETPLANERESOURCES', dir: IOC_IN | IOC_OUT, size: 12, flags: 0 },
  { nr: 0xb8, name: 'MODE_ADDFB2', dir: IOC_IN | IOC_OUT, size: 100, flags: 0 },
  { nr: 0xb9, name: 'MODE_OBJ_GETPROPERTIES', dir: IOC_IN | IOC_OUT, size: 28, flags: 0 },
  { nr: 0xba, name: 'MODE_OBJ_SETPROPERTY', dir: IOC_IN | IOC_OUT, size: 20, flags: DRM_MASTER },
  { nr: 0xbb, name: 'MODE_CURSOR2', dir: IOC_IN | IOC_OUT, size: 36, flags: DRM_MASTER },
  { nr: 0xc7, name: 'MODE_LIST_LESSEES', dir: IOC_IN | IOC_OUT, size: 16, flags: DRM_MASTER },
];

/** Struct field offsets (layout32.txt). */
export const VERSION = { major: 0, minor: 4, patch: 8, nameLen: 12, name: 16, dateLen: 20, date: 24, descLen: 28, desc: 32 } as const;
export const UNIQUE = { len: 0, ptr: 4 } as const;
export const SET_VERSION = { diMajor: 0, diMinor: 4, ddMajor: 8, ddMinor: 12 } as const;
export const GET_CAP = { capability: 0, value: 8 } as const;
export const CARD_RES = {
  fbIdPtr: 0, crtcIdPtr: 8, connectorIdPtr: 16, encoderIdPtr: 24, countFbs: 32, countCrtcs: 36, countConnectors: 40,
  countEncoders: 44, minWidth: 48, maxWidth: 52, minHeight: 56, maxHeight: 60,
} as const;
export const MODEINFO = {
  size: 68, clock: 0, hdisplay: 4, hsyncStart: 6, hsyncEnd: 8, htotal: 10, hskew: 12, vdisplay: 14, vsyncStart: 16,
  vsyncEnd: 18, vtotal: 20, vscan: 22, vrefresh: 24, flags: 28, type: 32, name: 36, nameLen: 32,
} as const;
export const CRTC = { setConnectorsPtr: 0, countConnectors: 8, crtcId: 12, fbId: 16, x: 20, y: 24, gammaSize: 28, modeValid: 32, mode: 36 } as const;
export const ENCODER = { encoderId: 0, encoderType: 4, crtcId: 8, possibleCrtcs: 12, possibleClones: 16 } as const;
export const CONNECTOR = {
  encodersPtr: 0, modesPtr: 8, propsPtr: 16, propValuesPtr: 24, countModes: 32, countProps: 36, countEncoders: 40,
  encoderId: 44, connectorId: 48, connectorType: 52, connectorTypeId: 56, connection: 60, mmWidth: 64, mmHeight: 68, subpixel: 72,
} as const;
export const GET_PROPERTY = { valuesPtr: 0, enumBlobPtr: 8, propId: 16, flags: 20, name: 24, nameLen: 32, countValues: 56, countEnumBlobs: 60 } as const;
/** struct drm_mode_property_enum: {u64 value; char name[32]} = 40 bytes. */
export const PROPERTY_ENUM = { size: 40, value: 0, name: 8 } as const;
export const CONN_SET_PROPERTY = { value: 0, propId: 8, connectorId: 12 } as const;
export const OBJ_SET_PROPERTY = { value: 0, propId: 8, objId: 12, objType: 16 } as const;
export const OBJ_GET_PROPERTIES = { propsPtr: 0, propValuesPtr: 8, countProps: 16, objId: 20, objType: 24 } as const;
export const GET_BLOB = { blobId: 0, length: 4, data: 8 } as const;
export const FB_CMD = { fbId: 0, width: 4, height: 8, pitch: 12, bpp: 16, depth: 20, handle: 24 } as const;
export const FB_CMD2 = { fbId: 0, width: 4, height: 8, pixelFormat: 12, flags: 16, handles: 20, pitches: 36, offsets: 52, modifier: 68 } as const;
export const RMFB = { fbId: 0 } as const;
export const DIRTY = { fbId: 0, flags: 4, color: 8, numClips: 12, clipsPtr: 16 } as const;
/** struct drm_clip_rect: {u16 x1, y1, x2, y2}. */
export const CLIP_RECT = { size: 8 } as const;
export const CREATE_DUMB = { height: 0, width: 4, bpp: 8, flags: 12, handle: 16, pitch: 20, size: 24 } as const;
export const MAP_DUMB = { handle: 0, pad: 4, offset: 8 } as const;
export const DESTROY_DUMB = { handle: 0 } as const;
export const GEM_CLOSE = { handle: 0 } as const;
export const CURSOR = { flags: 0, crtcId: 4, x: 8, y: 12, width: 16, height: 20, handle: 24, hotX: 28, hotY: 32 } as const;
export const CRTC_LUT = { crtcId: 0, gammaSize: 4, red: 8, green: 16, blue: 24 } as const;
export const PLANE_RES = { planeIdPtr: 0, countPlanes: 8 } as const;
export const PAGE_FLIP = { crtcId: 0, fbId: 4, flags: 8, reserved: 12, userData: 16 } as const;
/** union drm_wait_vblank: request {type, sequence, signal}, reply {type, sequence, tval_sec, tval_usec}. */
export const WAIT_VBLANK = { type: 0, sequence: 4, tvalSec: 8, tvalUsec: 12 } as const;
export const CRTC_GET_SEQUENCE = { crtcId: 0, active: 4, sequence: 8, sequenceNs: 16 } as const;
export const LIST_LESSEES = { countLessees: 0, lesseesPtr: 8 } as const;
/** struct drm_event_vblank, what read(2) returns: {drm_event{type,length}, u64 user_data, tv_sec, tv_usec, sequence, crtc_id}. */
export const EVENT_VBLANK = { size: 32, type: 0, length: 4, userData: 8, tvSec: 16, tvUsec: 20, sequence: 24, crtcId: 28 } as const;

/** DRM_CAP_* (drm.h). */
export const CAP = {
  DUMB_BUFFER: 0x1, VBLANK_HIGH_CRTC: 0x2, DUMB_PREFERRED_DEPTH: 0x3, DUMB_PREFER_SHADOW: 0x4, PRIME: 0x5,
  TIMESTAMP_MONOTONIC: 0x6, ASYNC_PAGE_FLIP: 0x7, CURSOR_WIDTH: 0x8, CURSOR_HEIGHT: 0x9, ADDFB2_MODIFIERS: 0x10,
  PAGE_FLIP_TARGET: 0x11, CRTC_IN_VBLANK_EVENT: 0x12, SYNCOBJ: 0x13, SYNCOBJ_TIMELINE: 0x14,
} as const;
/** DRM_CLIENT_CAP_* (drm.h). */
export const CLIENT_CAP = { STEREO_3D: 1, UNIVERSAL_PLANES: 2, ATOMIC: 3, ASPECT_RATIO: 4, WRITEBACK_CONNECTORS: 5 } as const;

/** DRM_MODE_OBJECT_* (drm_mode.h); 0 = any. */
export const OBJ = {
  ANY: 0, CRTC: 0xcccccccc, CONNECTOR: 0xc0c0c0c0, ENCODER: 0xe0e0e0e0, MODE: 0xdededede, PROPERTY: 0xb0b0b0b0,
  FB: 0xfbfbfbfb, BLOB: 0xbbbbbbbb, PLANE: 0xeeeeeeee,
} as const;

/** DRM_MODE_PROP_* flags. */
export const PROP = { RANGE: 2, IMMUTABLE: 4, ENUM: 8, BLOB: 16, BITMASK: 32 } as const;

export const DRM_MODE_CONNECTOR_VIRTUAL = 15;
export const DRM_MODE_ENCODER_VIRTUAL = 5;
/** drm_connector_status: connected = 1. */
export const CONNECTED = 1;
/** enum subpixel_order: SubPixelUnknown = 0 (libdrm reports it plus one). */
export const SUBPIXEL_UNKNOWN = 0;

/** DRM_MODE_TYPE_* and DRM_MODE_FLAG_*. */
export const MODE_TYPE_PREFERRED = 1 << 3, MODE_TYPE_DRIVER = 1 << 6;
export const MODE_FLAG_PHSYNC = 1, MODE_FLAG_NHSYNC = 2, MODE_FLAG_PVSYNC = 4, MODE_FLAG_NVSYNC = 8;
/** Aspect-ratio bits of the mode flags (DRM_MODE_FLAG_PIC_AR_MASK), hidden without DRM_CLIENT_CAP_ASPECT_RATIO. */
export const MODE_FLAG_PIC_AR_MASK = 0xf << 19;

export const CURSOR_BO = 1, CURSOR_MOVE = 2;
export const PAGE_FLIP_EVENT = 1, PAGE_FLIP_ASYNC = 2, PAGE_FLIP_TARGET_ABSOLUTE = 4, PAGE_FLIP_TARGET_RELATIVE = 8;
export const PAGE_FLIP_FLAGS = 0xf;
/** DRM_MODE_FB_DIRTY_*: annotate copy (clips in pairs), annotate fill; at most 256 clips. */
export const FB_DIRTY_ANNOTATE_COPY = 1, FB_DIRTY_FLAGS = 3, FB_DIRTY_MAX_CLIPS = 256;
export const FB_INTERLACED = 1, FB_MODIFIERS = 2;

/** _DRM_VBLANK_* (drm.h). */
export const VBLANK = {
  ABSOLUTE: 0, RELATIVE: 1, TYPES_MASK: 1, HIGH_CRTC_MASK: 0x3e, HIGH_CRTC_SHIFT: 1, EVENT: 0x4000000, FLIP: 0x8000000,
  NEXTONMISS: 0x10000000, SECONDARY: 0x20000000, SIGNAL: 0x40000000,
} as const;
export const VBLANK_FLAGS_MASK = VBLANK.EVENT | VBLANK.SIGNAL | VBLANK.SECONDARY | VBLANK.NEXTONMISS;
/** drm_event types. */
export const EVENT_TYPE_VBLANK = 1, EVENT_TYPE_FLIP_COMPLETE = 2;
/** Bytes of unread events a file may hold (drm_file.event_space = 4096). */
export const EVENT_SPACE = 4096;

/** DRM_FORMAT_* fourcc codes (drm_fourcc.h) the primary plane scans out: 32 bpp, little-endian B,G,R,X/A bytes. */
export const fourcc = (s: string): number => (s.charCodeAt(0) | s.charCodeAt(1) << 8 | s.charCodeAt(2) << 16 | s.charCodeAt(3) << 24) >>> 0;
export const FORMAT_XRGB8888 = fourcc('XR24'), FORMAT_ARGB8888 = fourcc('AR24');

/**
 * drm_driver_legacy_fb_format: the format ADDFB's (bpp, depth) stands for. Pairs not in
 * the table are DRM_FORMAT_INVALID (EINVAL); formats the plane cannot show also fail.
 */
export const LEGACY_FORMATS: readonly [bpp: number, depth: number, format: string][] = [
  [8, 8, 'C8  '], [16, 15, 'XR15'], [16, 16, 'RG16'], [24, 24, 'RG24'], [32, 24, 'XR24'], [32, 30, 'XR30'], [32, 32, 'AR24'],
];
/** Formats the primary plane accepts (what the sink shows). */
export const PLANE_FORMATS: readonly number[] = [FORMAT_XRGB8888, FORMAT_ARGB8888];

/** DRM_IF_MAJOR.DRM_IF_MINOR, the interface version SET_VERSION reports. */
export const DRM_IF_MAJOR = 1, DRM_IF_MINOR = 4;
