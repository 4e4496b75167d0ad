/**
 * Assemble a machine: a kernel with a root file system and the standard mounts
 * (/dev, /dev/pts, /proc, /sys, /tmp) that every Linux program expects.
 */
import { Kernel, type KernelOptions } from './linux/kernel.js';
import type { FileSystem } from './fs/types.js';
import { TmpFs } from './fs/tmpfs.js';
import { DevFs } from './fs/devfs.js';
import { Console, type HostTerminal } from './tty/console.js';
import { setCtty } from './tty/jobctl.js';
import { mountSystem } from './machine-mounts.js';
import { Display } from './display/display.js';
import { registerDrmCard } from './display/drm/card.js';
import type { Devpts } from './tty/devpts.js';
import { O_RDWR } from './fs/types.js';
import type { Process } from './linux/task.js';
import type { SpawnOptions } from './linux/kernel.js';
import { addInputDevices } from './display/input/devices.js';
import { monotonicNs, realtimeNs } from './linux/clock.js';

export interface MachineOptions extends KernelOptions {
  /** Root file system; an empty tmpfs when absent. */
  root?: FileSystem;
  /** Extra mounts, applied in order after the standard ones. */
  mounts?: { path: string; fs: FileSystem }[];
  /** The host's terminal: makes a console (/dev/console, tty0, tty1). */
  terminal?: HostTerminal;
  /**
   * A display of this size (the connector's preferred mode) from the start: `display` and its
   * devices (/dev/input/event0-1; the KMS branch adds /dev/dri/card0). Absent: none until addDisplay().
   * `refresh`: the mode's refresh rate, Hz (default 60): the device sends at most that many frames a second.
   */
  display?: { width: number; height: number; refresh?: number };
}

export interface Machine {
  kernel: Kernel;
  devfs: DevFs;
  /** /dev/pts: hosts open pseudo-terminals through it (a terminal on the page with its own shell). */
  devpts: Devpts;
  /** Present when a host terminal was given. */
  console?: Console;
  /** The machine's display (engine/display/display.ts), or null: the same object as `kernel.display` (drm/card.ts declares that field, since engine/linux may not import engine/display). */
  display: Display | null;
}

export async function createMachine(o: MachineOptions = {}): Promise<Machine> {
  const kernel = new Kernel(o);
  kernel.display = o.display ? new Display(o.display.width, o.display.height) : null;
  if (kernel.display && o.display?.refresh) kernel.display.refresh = o.display.refresh;
  kernel.drmCard = null;
  // 'force' translates from the first instruction on, so binaryen must be there before it.
  if (o.jit === 'force') await kernel.jit!.ready();
  const vfs = kernel.vfs;
  const root = o.root ?? new TmpFs({ mode: 0o755 });
  vfs.mount('/', root);
  // Mount points appear in listings only if the root has them; create them where it can.
  if (!root.readOnly) for (const dir of ['/dev', '/proc', '/sys', '/tmp']) await ensureDir(kernel, dir);
  const devfs = new DevFs();
  vfs.mount('/dev', devfs);
  vfs.mount('/tmp', new TmpFs({ mode: 0o1777 }));
  const console = o.terminal ? new Console(kernel, o.terminal, devfs.dev) : undefined;
  const devpts = await mountSystem(kernel, devfs, console);
  // mountSystem registered the DRM card for kernel.display; the input devices join it here.
  const display = kernel.display;
  if (display) addDisplayDevices(kernel, devfs, display);
  for (const m of o.mounts ?? []) {
    if (!root.readOnly) await ensureDir(kernel, m.path);
    vfs.mount(m.path, m.fs);
  }
  return { kernel, devfs, devpts, console, display };
}

/**
 * Give a running machine a display (setKmsCanvas after create: CheerpX allows it), or return
 * the one it has. Its devices appear in /dev as a hotplug would make them.
 */
export function addDisplay(m: Machine, width: number, height: number): Display {
  if (m.display) return m.display;
  const d = new Display(width, height);
  m.display = d;
  m.kernel.display = d;
  addDisplayDevices(m.kernel, m.devfs, d);
  return d;
}

/**
 * The devices of a display, in one place: /dev/dri/card0 (unless mountSystem made it already)
 * and the evdev keyboard and pointer.
 */
function addDisplayDevices(kernel: Kernel, devfs: DevFs, display: Display): void {
  if (kernel.drmCard === null) registerDrmCard(kernel, devfs, display);
  const mono = () => monotonicNs(kernel);
  addInputDevices(display, devfs, { realtime: realtimeNs, monotonic: mono, boottime: mono });
}

async function ensureDir(k: Kernel, path: string): Promise<void> {
  const st = await k.vfs.stat(null, -100, path);
  if (typeof st === 'number') {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    if (parent !== path) await ensureDir(k, parent);
    await k.vfs.mkdir(null, -100, path, 0o755);
  }
}



/**
 * Start `path` as a session leader on the machine's console: descriptors 0-2 are
 * /dev/tty1 opened through the VFS (so fstat matches the node, as ttyname(3) checks) and
 * the console becomes its controlling terminal. Resolves to the process or -errno.
 */
export async function spawnOnConsole(m: Machine, path: string, o: SpawnOptions = {}): Promise<Process | number> {
  if (!m.console) throw new Error('spawnOnConsole: the machine has no terminal');
  const tty = await m.kernel.vfs.open(null, -100, '/dev/tty1', O_RDWR);
  if (typeof tty === 'number') return tty;
  const p = await m.kernel.spawn(path, { ...o, stdio: [tty, tty, tty] });
  if (typeof p !== 'number') setCtty(p, m.console.tty);
  return p;
}
