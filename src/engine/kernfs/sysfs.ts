/**
 * A minimal /sys: the entries glibc, Python and coreutils read. get_nprocs() reads
 * devices/system/cpu/online; get_nprocs_conf() counts the cpuN directories; the rest only
 * has to exist so that directory walks and feature probes do not fail.
 */
import { SynthFs, type SynthDir, type Tree, treeDir } from '../fs/synthetic.js';

export const SYSFS_MAGIC = 0x62656572;

export interface SysOptions {
  /** st_dev for the sysfs inodes (an anonymous device). */
  dev: number;
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

export class SysFs extends SynthFs {
  readonly type = 'sysfs';
  readonly root: SynthDir;

  constructor(opts: SysOptions) {
    super(opts.dev, SYSFS_MAGIC);
    this.root = treeDir(this, '', TREE, 0o755);
  }
}
