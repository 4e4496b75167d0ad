/**
 * Display modes: the connector's mode list derived from the host display's size, and the
 * struct drm_mode_modeinfo they travel in.
 *
 * The list is what a virtual GPU without EDID reports (virtio-gpu: drm_add_modes_noedid up
 * to the host size, then drm_set_preferred_mode for the host size): the host size first,
 * marked preferred, then the standard VESA DMT modes that fit inside it, largest first
 * (drm_mode_sort's order). A host size that is a DMT mode gets the DMT timing; any other
 * size gets a VESA CVT timing (the algorithm of libxcvt / Xorg's xf86CVTMode, 60 Hz), with
 * the width kept exact (CVT would round it down to a multiple of 8, but the mode must cover
 * the host's whole canvas).
 */
import {
  MODEINFO, MODE_FLAG_NHSYNC, MODE_FLAG_NVSYNC, MODE_FLAG_PHSYNC, MODE_FLAG_PVSYNC, MODE_TYPE_DRIVER, MODE_TYPE_PREFERRED,
} from './uapi.js';

export interface Mode {
  clock: number;
  hdisplay: number; hsyncStart: number; hsyncEnd: number; htotal: number; hskew: number;
  vdisplay: number; vsyncStart: number; vsyncEnd: number; vtotal: number; vscan: number;
  vrefresh: number; flags: number; type: number; name: string;
}

/**
 * VESA DMT 60 Hz timings (VESA Display Monitor Timing standard 1.0 rev 13; the kernel's
 * drm_dmt_modes[]): width, height, pixel clock kHz, h sync start/end/total, v sync
 * start/end/total, sync polarities.
 */
const DMT: readonly [w: number, h: number, clock: number, hss: number, hse: number, ht: number, vss: number, vse: number, vt: number, flags: number][] = [
  [1920, 1080, 148500, 2008, 2052, 2200, 1084, 1089, 1125, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [1680, 1050, 146250, 1784, 1960, 2240, 1053, 1059, 1089, MODE_FLAG_NHSYNC | MODE_FLAG_PVSYNC],
  [1600, 900, 108000, 1624, 1704, 1800, 901, 904, 1000, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [1440, 900, 106500, 1520, 1672, 1904, 903, 909, 934, MODE_FLAG_NHSYNC | MODE_FLAG_PVSYNC],
  [1366, 768, 85500, 1436, 1579, 1792, 771, 774, 798, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [1280, 1024, 108000, 1328, 1440, 1688, 1025, 1028, 1066, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [1280, 800, 83500, 1352, 1480, 1680, 803, 809, 831, MODE_FLAG_NHSYNC | MODE_FLAG_PVSYNC],
  [1280, 720, 74250, 1390, 1430, 1650, 725, 730, 750, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [1024, 768, 65000, 1048, 1184, 1344, 771, 777, 806, MODE_FLAG_NHSYNC | MODE_FLAG_NVSYNC],
  [800, 600, 40000, 840, 968, 1056, 601, 605, 628, MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC],
  [640, 480, 25175, 656, 752, 800, 490, 492, 525, MODE_FLAG_NHSYNC | MODE_FLAG_NVSYNC],
];

/** drm_mode_vrefresh: refresh in Hz, rounded. */
const vrefreshOf = (clock: number, htotal: number, vtotal: number): number => Math.round((clock * 1000) / (htotal * vtotal));

function dmtMode(row: (typeof DMT)[number], type: number): Mode {
  const [w, h, clock, hss, hse, ht, vss, vse, vt, flags] = row;
  return {
    clock, hdisplay: w, hsyncStart: hss, hsyncEnd: hse, htotal: ht, hskew: 0, vdisplay: h, vsyncStart: vss, vsyncEnd: vse,
    vtotal: vt, vscan: 0, vrefresh: vrefreshOf(clock, ht, vt), flags, type, name: `${w}x${h}`,
  };
}

/** CVT 1.1 constants (libxcvt). */
const CVT_MIN_VSYNC_BP = 550, CVT_MIN_V_PORCH = 3, CVT_H_GRANULARITY = 8, CVT_C_PRIME = 30, CVT_M_PRIME = 300;
const CVT_HSYNC_PERCENTAGE = 8, CVT_CLOCK_STEP = 250;

/** A CVT (normal blanking) timing for w x h at `hz`; the width is not rounded down. */
export function cvtMode(w: number, h: number, hz: number, type: number): Mode {
  const hRnd = Math.ceil(w / CVT_H_GRANULARITY) * CVT_H_GRANULARITY;
  const hperiod = (1e6 / hz - CVT_MIN_VSYNC_BP) / (h + CVT_MIN_V_PORCH); // µs per line
  const ratio = w / h;
  const near = (r: number) => Math.abs(ratio - r) < 0.01;
  const vsync = near(4 / 3) ? 4 : near(16 / 9) ? 5 : near(16 / 10) ? 6 : near(5 / 4) || near(15 / 9) ? 7 : 10;
  const vsyncBp = Math.max(Math.floor(CVT_MIN_VSYNC_BP / hperiod) + 1, vsync + CVT_MIN_V_PORCH);
  const vtotal = h + vsyncBp + CVT_MIN_V_PORCH;
  const blankPct = Math.max(20, CVT_C_PRIME - (CVT_M_PRIME * hperiod) / 1000);
  let hblank = Math.floor((hRnd * blankPct) / (100 - blankPct));
  hblank -= hblank % (2 * CVT_H_GRANULARITY);
  const htotal = hRnd + hblank;
  let clock = Math.floor((htotal * 1000) / hperiod);
  clock -= clock % CVT_CLOCK_STEP;
  const hsyncEnd = htotal - hblank / 2;
  let hsyncWidth = Math.floor((htotal * CVT_HSYNC_PERCENTAGE) / 100);
  hsyncWidth -= hsyncWidth % CVT_H_GRANULARITY;
  return {
    clock, hdisplay: w, hsyncStart: hsyncEnd - hsyncWidth, hsyncEnd, htotal, hskew: 0,
    vdisplay: h, vsyncStart: h + CVT_MIN_V_PORCH, vsyncEnd: h + CVT_MIN_V_PORCH + vsync, vtotal, vscan: 0,
    vrefresh: vrefreshOf(clock, htotal, vtotal), flags: MODE_FLAG_NHSYNC | MODE_FLAG_PVSYNC, type, name: `${w}x${h}`,
  };
}

/** The connector's modes for a host display of w x h: preferred first, then smaller DMT modes. */
export function connectorModes(w: number, h: number, hz = 60): Mode[] {
  const preferred = MODE_TYPE_PREFERRED | MODE_TYPE_DRIVER;
  const exact = DMT.find((r) => r[0] === w && r[1] === h);
  const out = [exact && hz === 60 ? dmtMode(exact, preferred) : cvtMode(w, h, hz, preferred)];
  for (const r of DMT) if (r[0] <= w && r[1] <= h && !(r[0] === w && r[1] === h)) out.push(dmtMode(r, MODE_TYPE_DRIVER));
  return out;
}

const enc = new TextEncoder();

/** drm_mode_convert_to_umode: write `m` as a struct drm_mode_modeinfo at `off`. */
export function putMode(dv: DataView, off: number, m: Mode): void {
  dv.setUint32(off + MODEINFO.clock, m.clock, true);
  const u16: [number, number][] = [
    [MODEINFO.hdisplay, m.hdisplay], [MODEINFO.hsyncStart, m.hsyncStart], [MODEINFO.hsyncEnd, m.hsyncEnd],
    [MODEINFO.htotal, m.htotal], [MODEINFO.hskew, m.hskew], [MODEINFO.vdisplay, m.vdisplay],
    [MODEINFO.vsyncStart, m.vsyncStart], [MODEINFO.vsyncEnd, m.vsyncEnd], [MODEINFO.vtotal, m.vtotal], [MODEINFO.vscan, m.vscan],
  ];
  for (const [o, v] of u16) dv.setUint16(off + o, v, true);
  dv.setUint32(off + MODEINFO.vrefresh, m.vrefresh, true);
  dv.setUint32(off + MODEINFO.flags, m.flags, true);
  dv.setUint32(off + MODEINFO.type, m.type, true);
  const name = enc.encode(m.name).subarray(0, MODEINFO.nameLen - 1);
  for (let i = 0; i < MODEINFO.nameLen; i++) dv.setUint8(off + MODEINFO.name + i, i < name.length ? name[i] : 0);
}

/** Read a struct drm_mode_modeinfo. */
export function getMode(dv: DataView, off: number): Mode {
  const u16 = (o: number) => dv.getUint16(off + o, true);
  let name = '';
  for (let i = 0; i < MODEINFO.nameLen; i++) {
    const c = dv.getUint8(off + MODEINFO.name + i);
    if (!c) break;
    name += String.fromCharCode(c);
  }
  return {
    clock: dv.getUint32(off + MODEINFO.clock, true), hdisplay: u16(MODEINFO.hdisplay), hsyncStart: u16(MODEINFO.hsyncStart),
    hsyncEnd: u16(MODEINFO.hsyncEnd), htotal: u16(MODEINFO.htotal), hskew: u16(MODEINFO.hskew), vdisplay: u16(MODEINFO.vdisplay),
    vsyncStart: u16(MODEINFO.vsyncStart), vsyncEnd: u16(MODEINFO.vsyncEnd), vtotal: u16(MODEINFO.vtotal), vscan: u16(MODEINFO.vscan),
    vrefresh: dv.getUint32(off + MODEINFO.vrefresh, true), flags: dv.getUint32(off + MODEINFO.flags, true),
    type: dv.getUint32(off + MODEINFO.type, true), name,
  };
}

/** Mode flag bits userspace may set (DRM_MODE_FLAG_ALL: bits 0-13 plus the 3D and aspect fields). */
const MODE_FLAG_ALL = 0x3fff | (0x1f << 14) | (0xf << 19);

/**
 * drm_mode_convert_umode + drm_mode_validate_basic: a mode from userspace, or -EINVAL's
 * reason. The kernel rejects a clock above INT_MAX, unknown flags, and timings out of
 * order (display <= sync start <= sync end <= total).
 */
export function validateMode(m: Mode): string | null {
  if (m.clock > 0x7fffffff || m.vrefresh > 0x7fffffff) return 'clock out of range';
  if (m.flags & ~MODE_FLAG_ALL) return 'unknown mode flags';
  if (m.clock === 0) return 'zero clock';
  if (m.hdisplay === 0 || m.hsyncStart < m.hdisplay || m.hsyncEnd < m.hsyncStart || m.htotal < m.hsyncEnd) return 'bad horizontal timing';
  if (m.vdisplay === 0 || m.vsyncStart < m.vdisplay || m.vsyncEnd < m.vsyncStart || m.vtotal < m.vsyncEnd) return 'bad vertical timing';
  return null;
}
