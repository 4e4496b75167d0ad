/**
 * /dev/dri/card0: the DRM card's device node (char 226:0, DRM_MAJOR), its udev-style
 * /dev/dri/by-path link, and its hotplug uevents, wired for one machine. The sysfs side
 * (kernfs/sysfs.ts drmTree) is mounted by machine-mounts.ts with what this returns.
 */
import type { Kernel } from '../../linux/kernel.js';
import { type DevFs, makedev } from '../../fs/devfs.js';
import type { Display } from '../display.js';
import { broadcastUevent } from '../../linux/socket/netlink.js';
import { DrmDevice } from './device.js';
import { DrmFile, cardStat } from './file.js';

/**
 * The display's fields of the Kernel. They are declared here, not in kernel.ts, because the
 * display layer sits above the kernel (test/structure/imports.test.ts); createMachine sets
 * them (null without a display).
 */
declare module '../../linux/kernel.js' {
  interface Kernel {
    /** The machine's display (KernelOptions.display), or null. */
    display: Display | null;
    /** Its DRM card, once the machine's /dev is set up, or null. */
    drmCard: DrmDevice | null;
  }
}

export const DRM_MAJOR = 226;
export const CARD0_RDEV = makedev(DRM_MAJOR, 0);

export function registerDrmCard(k: Kernel, devfs: DevFs, display: Display): DrmDevice {
  const dev = new DrmDevice(k, display);
  // udev's default rule makes the node 0660 root:video; a VM whose user runs X as root or
  // as any user is simpler with 0666 (what the reference's verified setup used).
  devfs.addDevice('dri/card0', 0o666, CARD0_RDEV, (flags, path, t, inode) =>
    new DrmFile(dev, flags, path, inode ? () => inode.stat() : () => cardStat(CARD0_RDEV, devfs.dev), t));
  devfs.addLink('dri/by-path/platform-webx86-kms-card', '../card0');
  dev.uevent = (action, devpath, props) => broadcastUevent(k, action, devpath, props);
  k.drmCard = dev;
  return dev;
}
