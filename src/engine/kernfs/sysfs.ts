/**
 * A minimal /sys: the entries glibc, Python and coreutils read. get_nprocs() reads
 * devices/system/cpu/online; get_nprocs_conf() counts the cpuN directories; the rest only
 * has to exist so that directory walks and feature probes do not fail.
 */
import { Lazy, SynthFs, SynthLink, type SynthDir, type Tree, treeDir } from '../fs/synthetic.js';

export const SYSFS_MAGIC = 0x62656572;

export interface SysOptions {
  /** st_dev for the sysfs inodes (an anonymous device). */
  dev: number;
  /** The machine has a DRM card (display/drm): its device, class and char-device entries. */
  drm?: DrmSysfs;
}

/** What the card's sysfs files show, read when opened. */
export interface DrmSysfs {
  /** The connector's mode names, preferred first (card0-Virtual-1/modes). */
  modes: () => string[];
  /** "On" or "Off" (card0-Virtual-1/dpms). */
  dpms: () => string;
}

/** The tree as data: functions are files generated at open, objects are directories. */
const TREE: Tree = {
  block: {},
  bus: {},
  class: { block: {}, drm: {}, input: {}, net: {}, tty: {} },
  dev: { block: {}, char: {} },
  devices: {
    system: {
      cpu: {
        // cpulist format (one range per line): the engine runs one virtual CPU.
        online: () => '0\n',
        possible: () => '0\n',
        present: () => '0\n',
        offline: () => '\n',
        kernel_max: () => '0\n',
        cpu0: { topology: { core_id: () => '0\n', physical_package_id: () => '0\n' } },
      },
    },
    virtual: {},
  },
  firmware: {},
  fs: { cgroup: {} },
  kernel: {
    mm: { transparent_hugepage: { enabled: () => 'always madvise [never]\n' } },
  },
  module: {},
  power: {},
};

/**
 * The card as a platform device, laid out as Linux's sysfs has a DRM minor
 * (drm_sysfs_connector_add, drm_sysfs_minor_alloc): the device directory with uevent, dev,
 * subsystem and device links, a connector directory, and the /sys/class/drm and
 * /sys/dev/char/226:0 links to it. libudev's enumeration (Xorg's platform probe) walks
 * exactly these (shared/reference/kms §1.3). The platform device is named webx86-kms.
 */
function drmTree(fs: SynthFs, d: DrmSysfs): { devices: Tree; classDrm: Tree; devChar: Tree; bus: Tree } {
  const link = (target: string) => new Lazy((key) => new SynthLink(fs, fs.ino(key), () => target));
  const connector: Tree = {
    uevent: () => '',
    status: () => 'connected\n',
    enabled: () => 'enabled\n',
    dpms: () => `${d.dpms()}\n`,
    modes: () => d.modes().map((m) => `${m}\n`).join(''),
    subsystem: link('../../../../../../class/drm'),
    device: link('../../card0'),
  };
  const card: Tree = {
    uevent: () => 'MAJOR=226\nMINOR=0\nDEVNAME=dri/card0\nDEVTYPE=drm_minor\n',
    dev: () => '226:0\n',
    subsystem: link('../../../../../class/drm'),
    device: link('../../../webx86-kms'),
    'card0-Virtual-1': connector,
  };
  return {
    devices: {
      'webx86-kms': {
        uevent: () => 'DRIVER=webx86-kms\nMODALIAS=platform:webx86-kms\n',
        modalias: () => 'platform:webx86-kms\n',
        subsystem: link('../../../bus/platform'),
        driver: link('../../../bus/platform/drivers/webx86-kms'),
        drm: { card0: card },
      },
    },
    classDrm: {
      card0: link('../../devices/platform/webx86-kms/drm/card0'),
      'card0-Virtual-1': link('../../devices/platform/webx86-kms/drm/card0/card0-Virtual-1'),
      version: () => 'drm 1.1.0 20060810\n',
    },
    devChar: { '226:0': link('../../devices/platform/webx86-kms/drm/card0') },
    bus: {
      platform: {
        devices: { 'webx86-kms': link('../../../devices/platform/webx86-kms') },
        drivers: { 'webx86-kms': {} },
      },
    },
  };
}

export class SysFs extends SynthFs {
  readonly type = 'sysfs';
  readonly root: SynthDir;

  constructor(opts: SysOptions) {
    super(opts.dev, SYSFS_MAGIC);
    let tree = TREE;
    if (opts.drm) {
      const t = drmTree(this, opts.drm);
      const base = TREE as { [k: string]: Tree };
      tree = {
        ...TREE,
        bus: { ...base.bus, ...t.bus },
        class: { ...base.class, drm: t.classDrm },
        dev: { ...base.dev, char: t.devChar },
        devices: { ...base.devices, platform: t.devices },
      };
    }
    this.root = treeDir(this, '', tree, 0o755);
  }
}
