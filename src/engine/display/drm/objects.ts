/**
 * The device's mode objects (drm_mode_object): one CRTC, one encoder, one Virtual
 * connector (Xorg names its output Virtual-1), the connector's properties, and
 * framebuffers. The topology is what a single-head virtual GPU exposes (virtio-gpu with
 * one scanout) and what shared/reference/kms §2.4 verified Xorg with. Mode object ids share
 * one number space in the kernel (an idr); the fixed ones are listed here, framebuffers
 * take ids from FIRST_FB_ID on.
 *
 * Planes: the primary and cursor planes exist in the kernel but are hidden from clients
 * that have not set DRM_CLIENT_CAP_UNIVERSAL_PLANES; this device keeps them hidden always
 * (GETPLANERESOURCES answers 0 planes), which legacy KMS clients such as Xorg's
 * modesetting driver expect (limit: no universal-plane or atomic clients).
 */
import { DRM_MODE_CONNECTOR_VIRTUAL, DRM_MODE_ENCODER_VIRTUAL, OBJ, PROP } from './uapi.js';
import type { DumbBuffer } from './dumb.js';

export const CONNECTOR_ID = 31, ENCODER_ID = 32, CRTC_ID = 33;
export const FIRST_FB_ID = 100;
export const CONNECTOR_TYPE = DRM_MODE_CONNECTOR_VIRTUAL, CONNECTOR_TYPE_ID = 1;
export const ENCODER_TYPE = DRM_MODE_ENCODER_VIRTUAL;
/** possible_crtcs / possible_clones bit masks (bit i = the i-th CRTC / encoder). */
export const POSSIBLE_CRTCS = 1, POSSIBLE_CLONES = 1;
/** Entries of the CRTC's gamma table (GETCRTC gamma_size; SETGAMMA must match it). */
export const GAMMA_SIZE = 256;
/** The largest framebuffer and cursor (mode_config.max_width/height, cursor_width/height). */
export const MIN_SIZE = 1, MAX_SIZE = 8192, CURSOR_SIZE = 64;
/** Physical size in mm: 96 dpi at the current mode (what Xorg reports when there is no EDID). */
export const mmOf = (px: number): number => Math.round((px * 25.4) / 96);

export interface PropertyDef {
  id: number;
  name: string;
  flags: number;
  /** Range: [min, max]; enum: the enum values. */
  values: readonly number[];
  /** Enum entries (value, name). */
  enums?: readonly [number, string][];
  /** The value an object starts with. */
  initial: number;
}

/** DRM_MODE_DPMS_ON..OFF. */
export const DPMS_ON = 0, DPMS_OFF = 3;

/**
 * Connector properties a non-atomic client sees on a virtual connector (drm_connector_init
 * attaches EDID, DPMS, link-status, non-desktop; TILE/PATH only when set): EDID is an
 * immutable blob, 0 while there is none; DPMS and link-status are enums; non-desktop an
 * immutable boolean range.
 */
export const PROPERTIES: readonly PropertyDef[] = [
  { id: 1, name: 'EDID', flags: PROP.BLOB | PROP.IMMUTABLE, values: [], initial: 0 },
  {
    id: 2, name: 'DPMS', flags: PROP.ENUM, values: [0, 1, 2, 3], initial: DPMS_ON,
    enums: [[0, 'On'], [1, 'Standby'], [2, 'Suspend'], [3, 'Off']],
  },
  { id: 3, name: 'link-status', flags: PROP.ENUM, values: [0, 1], initial: 0, enums: [[0, 'Good'], [1, 'Bad']] },
  { id: 4, name: 'non-desktop', flags: PROP.RANGE | PROP.IMMUTABLE, values: [0, 1], initial: 0 },
];
export const propertyById = (id: number): PropertyDef | undefined => PROPERTIES.find((p) => p.id === id);

/** drm_property_change_valid_get for a legacy set: immutable properties and out-of-range values are EINVAL. */
export function propertyValueValid(p: PropertyDef, v: bigint): boolean {
  if (p.flags & PROP.IMMUTABLE) return false;
  if (p.flags & PROP.RANGE) return v >= BigInt(p.values[0]) && v <= BigInt(p.values[1]);
  if (p.flags & PROP.ENUM) return p.values.some((x) => BigInt(x) === v);
  return false;
}

/** A framebuffer (drm_framebuffer): a view of a dumb buffer in one pixel format. */
export interface Framebuffer {
  id: number;
  width: number;
  height: number;
  format: number;
  bpp: number;
  depth: number;
  pitch: number;
  /** Byte offset of the first pixel in the buffer (ADDFB2 offsets[0]). */
  offset: number;
  bo: DumbBuffer;
  /** The open file that created it (the kernel's fb->filp). */
  owner: object;
}

/** The type each fixed object id has (drm_mode_object_find checks it). */
export function objectType(id: number, fbs: ReadonlyMap<number, Framebuffer>): number | undefined {
  if (id === CONNECTOR_ID) return OBJ.CONNECTOR;
  if (id === ENCODER_ID) return OBJ.ENCODER;
  if (id === CRTC_ID) return OBJ.CRTC;
  if (propertyById(id)) return OBJ.PROPERTY;
  if (fbs.has(id)) return OBJ.FB;
  return undefined;
}
