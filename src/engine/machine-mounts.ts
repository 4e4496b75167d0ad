/** Mounts of /proc, /sys and /dev/pts, and the tty devices. */
import type { Kernel } from './linux/kernel.js';
import type { DevFs } from './fs/devfs.js';
import { ProcFs } from './fs/procfs.js';
import { SysFs } from './fs/sysfs.js';
import { allocAnonDev } from './fs/tmpfs.js';
import { UTS_RELEASE, UTS_VERSION } from './linux/syscalls/misc.js';

export async function mountSystem(k: Kernel, _devfs: DevFs): Promise<void> {
  k.vfs.mount('/proc', new ProcFs(k, {
    dev: allocAnonDev(),
    currentPid: () => k.current?.proc.pid ?? 1,
    currentTid: () => k.current?.tid ?? 1,
    osrelease: UTS_RELEASE,
    version: UTS_VERSION,
  }));
  k.vfs.mount('/sys', new SysFs({ dev: allocAnonDev() }));
}
