/** Mounts of /proc, /sys and /dev/pts, and the tty devices. */
import type { Kernel } from './linux/kernel.js';
import type { DevFs } from './fs/devfs.js';
import { ProcFs } from './kernfs/procfs.js';
import { SysFs } from './kernfs/sysfs.js';
import { allocAnonDev } from './fs/tmpfs.js';
import { UTS_RELEASE, UTS_VERSION } from './linux/syscalls/misc.js';
import { Devpts } from './tty/devpts.js';
import { registerTtyDevices } from './tty/devices.js';
import { disassociateCtty } from './tty/jobctl.js';
import type { Console } from './tty/console.js';
import { MEM_TOTAL_KB } from './linux/meminfo.js';
import { registerDrmCard } from './display/drm/card.js';

export async function mountSystem(k: Kernel, devfs: DevFs, console?: Console): Promise<Devpts> {
  const currentTask = () => k.current ?? undefined;
  const devpts = new Devpts(k, allocAnonDev(), currentTask);
  k.vfs.mount('/dev/pts', devpts);
  registerTtyDevices(devfs, { console, devpts, currentTask, devfsDev: devfs.dev });
  // A session leader's exit hangs up its terminal's foreground group (SIGHUP, SIGCONT).
  k.sched.exitHooks.push((p) => { if (p.pid === p.sid) disassociateCtty(p); });
  k.vfs.mount('/proc', new ProcFs(k, {
    dev: allocAnonDev(),
    currentPid: () => k.current?.proc.pid ?? 1,
    currentTid: () => k.current?.tid ?? 1,
    osrelease: UTS_RELEASE,
    version: UTS_VERSION,
    memTotalKb: MEM_TOTAL_KB,
  }));
  // A display makes /dev/dri/card0 and its sysfs entries (display/drm/card.ts).
  const card = k.display ? registerDrmCard(k, devfs, k.display) : null;
  k.vfs.mount('/sys', new SysFs({
    dev: allocAnonDev(),
    drm: card ? { modes: () => card.modes.map((m) => m.name), dpms: () => (card.props.get(2) === 3 ? 'Off' : 'On') } : undefined,
  }));
  return devpts;
}
