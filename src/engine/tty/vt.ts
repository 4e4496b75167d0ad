/**
 * The console as a Linux virtual terminal (drivers/tty/vt/vt_ioctl.c), for the programs
 * that take over the screen through it: Xorg opens /dev/tty0 when it exists and makes the
 * VT a graphics one (shared/reference/kms §4.1). The machine has one VT, tty1, the host's
 * terminal; /dev/tty0 is the current VT.
 *
 * Answers, as vt_ioctl gives them for a system with one allocated VT: VT_GETSTATE (VT 1
 * active and open), VT_ACTIVATE/VT_WAITACTIVE (1: at once; another VT cannot be
 * allocated: ENXIO), VT_GETMODE/VT_SETMODE/VT_RELDISP (the switching mode is kept),
 * VT_OPENQRY (no free VT: -1, since tty1 is the only one and is in use, so Xorg needs
 * `vt1` on its command line on a machine with a console), KDGETMODE/KDSETMODE and
 * KDGKBMODE/KDSKBMODE (kept; the host is told when the VT goes to or from graphics mode,
 * so it can show the display instead of the terminal; K_OFF discards keyboard input to
 * the terminal, as Linux does).
 */
import type { Task } from '../linux/task.js';
import { EFAULT, EINVAL, ENXIO } from '../linux/errno.js';
import { getStruct, putStruct, putU32 } from '../linux/uaccess.js';

export const VT_OPENQRY = 0x5600, VT_GETMODE = 0x5601, VT_SETMODE = 0x5602, VT_GETSTATE = 0x5603, VT_RELDISP = 0x5605;
export const VT_ACTIVATE = 0x5606, VT_WAITACTIVE = 0x5607;
export const KDSETMODE = 0x4b3a, KDGETMODE = 0x4b3b, KDGKBMODE = 0x4b44, KDSKBMODE = 0x4b45;
const VT_AUTO = 0, VT_PROCESS = 1;
export const KD_TEXT = 0, KD_GRAPHICS = 1;
/** K_RAW, K_XLATE, K_MEDIUMRAW, K_UNICODE, K_OFF. */
export const K_UNICODE = 3, K_OFF = 4;
/** struct vt_mode {char mode, waitv; short relsig, acqsig, frsig}: 8 bytes; struct vt_stat: 3 unsigned shorts. */
const VT_MODE_SIZE = 8, VT_STAT_SIZE = 6;

export class Vt {
  kdMode = KD_TEXT;
  kbMode = K_UNICODE;
  private mode = new Uint8Array(VT_MODE_SIZE);
  /** Told when the VT enters or leaves graphics mode (the host shows the display or the terminal). */
  readonly graphicsListeners: ((graphics: boolean) => void)[] = [];

  /** The VT ioctls; undefined for any other request (the tty answers those). */
  ioctl(t: Task, req: number, arg: number): number | undefined {
    arg >>>= 0;
    switch (req) {
      case VT_OPENQRY: return putU32(t, arg, 0xffffffff) ? 0 : -EFAULT;
      case VT_GETSTATE:
        return putStruct(t, arg, VT_STAT_SIZE, (dv) => { dv.setUint16(0, 1, true); dv.setUint16(2, 0, true); dv.setUint16(4, 1 << 1, true); }) ? 0 : -EFAULT;
      case VT_ACTIVATE: case VT_WAITACTIVE:
        return arg === 1 ? 0 : -ENXIO;
      case VT_GETMODE: return putStruct(t, arg, VT_MODE_SIZE, (dv) => new Uint8Array(dv.buffer).set(this.mode)) ? 0 : -EFAULT;
      case VT_SETMODE: {
        const dv = getStruct(t, arg, VT_MODE_SIZE);
        if (!dv) return -EFAULT;
        const m = dv.getUint8(0);
        if (m !== VT_AUTO && m !== VT_PROCESS) return -EINVAL;
        this.mode = new Uint8Array(VT_MODE_SIZE);
        for (let i = 0; i < VT_MODE_SIZE; i++) this.mode[i] = dv.getUint8(i);
        return 0;
      }
      case VT_RELDISP: return this.mode[0] === VT_PROCESS ? 0 : -EINVAL;
      case KDGETMODE: return putU32(t, arg, this.kdMode) ? 0 : -EFAULT;
      case KDSETMODE: {
        if (arg > 3) return -EINVAL;
        const was = this.kdMode === KD_GRAPHICS;
        this.kdMode = arg;
        if (was !== (arg === KD_GRAPHICS)) for (const l of this.graphicsListeners) l(arg === KD_GRAPHICS);
        return 0;
      }
      case KDGKBMODE: return putU32(t, arg, this.kbMode) ? 0 : -EFAULT;
      case KDSKBMODE: if (arg > K_OFF) return -EINVAL; this.kbMode = arg; return 0;
    }
    return undefined;
  }
}
