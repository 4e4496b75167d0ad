/** Mounts of /proc, /sys and /dev/pts, and the tty devices. */
import type { Kernel } from './linux/kernel.js';
import type { DevFs } from './fs/devfs.js';

export async function mountSystem(_k: Kernel, _devfs: DevFs): Promise<void> {
  // Filled in as procfs, sysfs and the tty layer land.
}
