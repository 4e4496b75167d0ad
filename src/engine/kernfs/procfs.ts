/**
 * /proc, generated from the Kernel's process table. Formats follow proc(5) and the Linux
 * sources that print them (fs/proc/array.c, task_mmu.c, meminfo.c ...), as a 32-bit i386
 * kernel prints them: 8-digit addresses and the /proc/PID/maps name column at 49.
 * Text is produced when a file is opened, so reads in pieces see one snapshot.
 */
import type { Kernel } from '../linux/kernel.js';
import type { Process, Task } from '../linux/task.js';
import { ENOENT } from '../abi/errno.js';
import { MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE, type Mapping } from '../mem/address-space.js';
import type { Caller, FileSystem } from '../fs/types.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY } from '../fs/types.js';
import { Lazy, SynthDir, SynthFile, SynthFs, SynthLink, type SynthNode, type Tree, treeDir } from '../fs/synthetic.js';
import { CPU_ID, FEATURES } from '../cpu/identity.js';

export const PROC_SUPER_MAGIC = 0x9fa0;
/** USER_HZ: the unit of the clock-tick fields in stat files. */
const HZ = 100;
const PAGE = 4096;
/** RLIM_INFINITY as the i386 kernel stores it (unsigned long). */
import { RLIM_INFINITY } from '../abi/rlimits.js';

/** What the CPU model reports through CPUID; /proc/cpuinfo must agree with it. */
export const CPU_INFO = {
  vendor: CPU_ID.vendor,
  family: CPU_ID.family,
  model: CPU_ID.model,
  modelName: CPU_ID.brand,
  stepping: CPU_ID.stepping,
  cpuidLevel: CPU_ID.maxLeaf,
  mhz: 2000,
  /** CPUID.1 EDX then ECX, in bit order as Linux prints them. */
  flags: [...FEATURES.filter((f) => f[0] === 'edx'), ...FEATURES.filter((f) => f[0] === 'ecx')].map((f) => f[2]),
};

export interface MountEntry { source: string; target: string; fstype: string; options: string; dev?: number }

export interface ProcOptions {
  /** st_dev for the proc inodes (an anonymous device). */
  dev: number;
  /** The pid of the process making the call (the Inode API has no caller). */
  currentPid: () => number;
  /** The tid of the calling thread; defaults to the pid. */
  currentTid?: () => number;
  /** Mount table to show; default: read from kernel.vfs.mounts. */
  mounts?: () => MountEntry[];
  memTotalKb?: number;
  osrelease?: string;
  /** uname -v text. */
  version?: string;
}

/** [nodev, name] rows of /proc/filesystems. */
const FILESYSTEMS: ReadonlyArray<[boolean, string]> = [
  [true, 'sysfs'], [true, 'tmpfs'], [true, 'proc'], [true, 'devtmpfs'], [true, 'devpts'], [true, 'pipefs'], [false, 'ext2'],
];

/** Rows of /proc/PID/limits: [label, units, default soft, default hard], by RLIMIT_* number. */
const LIMITS: ReadonlyArray<[string, string, number, number]> = [
  ['Max cpu time', 'seconds', RLIM_INFINITY, RLIM_INFINITY],
  ['Max file size', 'bytes', RLIM_INFINITY, RLIM_INFINITY],
  ['Max data size', 'bytes', RLIM_INFINITY, RLIM_INFINITY],
  ['Max stack size', 'bytes', 8388608, RLIM_INFINITY],
  ['Max core file size', 'bytes', 0, RLIM_INFINITY],
  ['Max resident set', 'bytes', RLIM_INFINITY, RLIM_INFINITY],
  ['Max processes', 'processes', 15633, 15633],
  ['Max open files', 'files', 1024, 1048576],
  ['Max locked memory', 'bytes', 8388608, 8388608],
  ['Max address space', 'bytes', RLIM_INFINITY, RLIM_INFINITY],
  ['Max file locks', 'locks', RLIM_INFINITY, RLIM_INFINITY],
  ['Max pending signals', 'signals', 15633, 15633],
  ['Max msgqueue size', 'bytes', 819200, 819200],
  ['Max nice priority', '', 0, 0],
  ['Max realtime priority', '', 0, 0],
  ['Max realtime timeout', 'us', RLIM_INFINITY, RLIM_INFINITY],
];

const TASK_STATE: Record<string, [string, string]> = {
  running: ['R', 'running'], blocked: ['S', 'sleeping'], stopped: ['T', 'stopped'], zombie: ['Z', 'zombie'],
};

const hex16 = (m: bigint): string => m.toString(16).padStart(16, '0');
const kb = (label: string, v: number): string => `${label.padEnd(16)}${String(Math.floor(v)).padStart(8)} kB\n`;
const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const ticks = (ms: number): number => Math.floor(ms / (1000 / HZ));
/** Split a dev_t in glibc's makedev() layout: minor bits 0-7 and 20-31, major bits 8-19. */
const major = (dev: number): number => Math.floor(dev / 256) & 0xfff;
const minor = (dev: number): number => (dev & 0xff) | (Math.floor(dev / 0x1000) & 0xfff00);
/** Mount-table escaping (fs/proc_namespace.c mangle()): space, tab, newline and backslash as octal. */
const mangle = (s: string): string => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

function sigMask(list: { signo: number }[]): bigint {
  let m = 0n;
  for (const s of list) m |= 1n << BigInt(s.signo - 1);
  return m;
}

function comm(p: Process, t?: Task): string {
  const c = (t ?? p.leader)?.comm || basename(p.exe);
  return c.slice(0, 15);
}

function taskState(p: Process, t?: Task): [string, string] {
  if (p.zombie) return TASK_STATE.zombie;
  return TASK_STATE[(t ?? p.leader)?.state ?? 'running'] ?? TASK_STATE.running;
}

/** Memory figures in pages, from the mappings (every mapped page is counted as resident). */
function memStats(p: Process): { size: number; shared: number; text: number; data: number; stack: number; exe: Mapping | undefined } {
  let size = 0, shared = 0, text = 0, data = 0, stack = 0;
  let exe: Mapping | undefined;
  for (const m of p.mem.mappings) {
    const pages = (m.end - m.start) / PAGE;
    size += pages;
    if (m.ino !== 0 || m.name.startsWith('/')) shared += pages;
    if (m.name === p.exe && m.prot & PROT_EXEC) { text += pages; exe ??= m; }
    if (m.name === '[stack]') stack += pages;
    if (m.prot & PROT_WRITE && !(m.flags & MAP_SHARED)) data += pages;
  }
  return { size, shared, text, data, stack, exe };
}

/** One line of /proc/PID/maps (fs/proc/task_mmu.c show_map_vma). */
export function mapsLine(m: Mapping): string {
  const h8 = (n: number): string => n.toString(16).padStart(8, '0');
  const perms = (m.prot & PROT_READ ? 'r' : '-') + (m.prot & PROT_WRITE ? 'w' : '-') + (m.prot & PROT_EXEC ? 'x' : '-') + (m.flags & MAP_SHARED ? 's' : 'p');
  const dev = `${major(m.dev).toString(16).padStart(2, '0')}:${minor(m.dev).toString(16).padStart(2, '0')}`;
  const head = `${h8(m.start)}-${h8(m.end)} ${perms} ${h8(m.offset)} ${dev} ${m.ino} `;
  // seq_setwidth(25 + sizeof(void *) * 6 - 1) = 48 on i386, then seq_pad() adds one more space.
  return m.name ? `${head.padEnd(48)} ${m.name}\n` : `${head}\n`;
}

export class ProcFs extends SynthFs {
  readonly type = 'proc';
  readonly root: SynthDir;
  private readonly kernel: Kernel;
  private readonly o: ProcOptions;
  private readonly bootId = randomUuid();

  constructor(kernel: Kernel, opts: ProcOptions) {
    super(opts.dev, PROC_SUPER_MAGIC);
    this.kernel = kernel;
    this.o = opts;
    const sys = this.systemTree();
    this.root = new SynthDir(this, 1, 0o555, {
      names: () => [...Object.keys(sys.tree), ...[...kernel.processes.keys()].sort((a, b) => a - b).map(String)],
      get: (name) => (/^[1-9][0-9]*$/.test(name) ? this.pidDir(Number(name)) : sys.get(name)),
    }, { time: () => this.bootSec });
  }

  private get bootSec(): number { return Math.floor(this.kernel.bootTime / 1000); }

  // ---- System-wide entries ----

  private systemTree(): { tree: Tree; get: (n: string) => SynthNode | null } {
    const k = this.kernel;
    const o = this.o;
    const osrelease = o.osrelease ?? '6.1.0-webx86';
    const version = o.version ?? '#1 SMP PREEMPT_DYNAMIC Debian 6.1.0';
    const link = (target: (caller?: Caller) => string | number) => new Lazy((key) => new SynthLink(this, this.ino(key), target));
    const rw = (get: () => string, set: (v: string) => void) =>
      new Lazy((key) => new SynthFile(this, this.ino(key), 0o644, () => `${get()}\n`, {
        write: (text) => { set(text.replace(/\n$/, '')); return text.length; },
      }));
    const tree: Tree = {
      self: link((c) => String(c?.pid ?? o.currentPid())),
      'thread-self': link((c) => (c ? `${c.pid}/task/${c.tid}` : `${o.currentPid()}/task/${(o.currentTid ?? o.currentPid)()}`)),
      mounts: link(() => 'self/mounts'),
      cpuinfo: () => this.cpuinfo(),
      meminfo: () => this.meminfo(),
      uptime: () => {
        const up = k.uptimeMs() / 1000;
        const idle = Math.max(0, up - this.busyMs() / 1000);
        return `${up.toFixed(2)} ${idle.toFixed(2)}\n`;
      },
      loadavg: () => {
        const tasks = [...k.tasks.values()];
        const running = tasks.filter((t) => t.state === 'running').length;
        const last = Math.max(0, ...k.tasks.keys(), ...k.processes.keys());
        return `0.00 0.00 0.00 ${running}/${tasks.length} ${last}\n`;
      },
      stat: () => this.statFile(),
      version: () => `Linux version ${osrelease} (webx86@webx86) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) ${version}\n`,
      filesystems: () => FILESYSTEMS.map(([nodev, n]) => `${nodev ? 'nodev' : ''}\t${n}\n`).join(''),
      cmdline: () => 'root=/dev/root ro\n',
      swaps: () => 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n',
      sys: {
        kernel: {
          hostname: rw(() => k.hostname, (v) => { k.hostname = v; }),
          domainname: rw(() => k.domainname, (v) => { k.domainname = v; }),
          ostype: () => 'Linux\n',
          osrelease: () => `${osrelease}\n`,
          version: () => `${version}\n`,
          pid_max: () => '32768\n',
          'threads-max': () => '31266\n',
          ngroups_max: () => '65536\n',
          cap_last_cap: () => '40\n',
          random: {
            boot_id: () => `${this.bootId}\n`,
            uuid: () => `${randomUuid()}\n`,
            entropy_avail: () => '256\n',
            poolsize: () => '256\n',
          },
        },
        vm: {
          overcommit_memory: () => '0\n',
          max_map_count: () => '65530\n',
        },
        fs: {
          'file-max': () => '9223372036854775807\n',
          nr_open: () => '1048576\n',
        },
      },
    };
    const dir = treeDir(this, '', tree, 0o555, { time: () => this.bootSec });
    return { tree, get: (n) => dir.lookup(n) };
  }

  private busyMs(): number {
    let ms = 0;
    for (const t of this.kernel.tasks.values()) ms += t.utimeMs + t.stimeMs;
    return ms;
  }

  private cpuinfo(): string {
    const c = CPU_INFO;
    // Field order and tabs as arch/x86/kernel/cpu/proc.c prints them on a 32-bit kernel.
    return [
      'processor\t: 0', `vendor_id\t: ${c.vendor}`, `cpu family\t: ${c.family}`, `model\t\t: ${c.model}`,
      `model name\t: ${c.modelName}`, `stepping\t: ${c.stepping}`, `cpu MHz\t\t: ${c.mhz.toFixed(3)}`,
      'cache size\t: 8192 KB', 'physical id\t: 0', 'siblings\t: 1', 'core id\t\t: 0', 'cpu cores\t: 1',
      'apicid\t\t: 0', 'initial apicid\t: 0', 'fdiv_bug\t: no', 'f00f_bug\t: no', 'coma_bug\t: no',
      'fpu\t\t: yes', 'fpu_exception\t: yes', `cpuid level\t: ${c.cpuidLevel}`, 'wp\t\t: yes',
      `flags\t\t: ${c.flags.join(' ')}`, 'bugs\t\t:', `bogomips\t: ${(c.mhz * 2).toFixed(2)}`,
      'clflush size\t: 64', 'cache_alignment\t: 64', 'address sizes\t: 36 bits physical, 32 bits virtual',
      'power management:', '', '',
    ].join('\n');
  }

  private meminfo(): string {
    const total = this.o.memTotalKb ?? 1024 * 1024;
    let usedPages = 0;
    for (const p of this.kernel.processes.values()) if (!p.zombie) usedPages += memStats(p).size;
    const used = Math.min(total, (usedPages * PAGE) / 1024);
    const free = total - used;
    const rows: [string, number][] = [
      ['MemTotal:', total], ['MemFree:', free], ['MemAvailable:', free], ['Buffers:', 0], ['Cached:', 0],
      ['SwapCached:', 0], ['Active:', used], ['Inactive:', 0], ['Active(anon):', used], ['Inactive(anon):', 0],
      ['Active(file):', 0], ['Inactive(file):', 0], ['Unevictable:', 0], ['Mlocked:', 0],
      ['HighTotal:', 0], ['HighFree:', 0], ['LowTotal:', total], ['LowFree:', free],
      ['SwapTotal:', 0], ['SwapFree:', 0], ['Dirty:', 0], ['Writeback:', 0], ['AnonPages:', used],
      ['Mapped:', 0], ['Shmem:', 0], ['KReclaimable:', 0], ['Slab:', 0], ['SReclaimable:', 0], ['SUnreclaim:', 0],
      ['KernelStack:', 0], ['PageTables:', 0], ['NFS_Unstable:', 0], ['Bounce:', 0], ['WritebackTmp:', 0],
      ['CommitLimit:', total], ['Committed_AS:', used], ['VmallocTotal:', 122880], ['VmallocUsed:', 0],
      ['VmallocChunk:', 0],
    ];
    return rows.map(([l, v]) => kb(l, v)).join('') +
      'HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n' +
      kb('Hugepagesize:', 4096) + kb('Hugetlb:', 0);
  }

  private statFile(): string {
    const k = this.kernel;
    let user = 0, sys = 0;
    for (const t of k.tasks.values()) { user += ticks(t.utimeMs); sys += ticks(t.stimeMs); }
    const idle = Math.max(0, ticks(k.uptimeMs()) - user - sys);
    const cpu = `${user} 0 ${sys} ${idle} 0 0 0 0 0 0`;
    const running = [...k.tasks.values()].filter((t) => t.state === 'running').length;
    const blocked = [...k.tasks.values()].filter((t) => t.state === 'blocked').length;
    return `cpu  ${cpu}\ncpu0 ${cpu}\nintr 0\nctxt 0\nbtime ${this.bootSec}\n` +
      `processes ${Math.max(0, ...k.processes.keys())}\nprocs_running ${running}\nprocs_blocked ${blocked}\n` +
      'softirq 0 0 0 0 0 0 0 0 0 0 0\n';
  }

  private mountList(): MountEntry[] {
    if (this.o.mounts) return this.o.mounts();
    // Duck-typed so that this file does not depend on the VFS's internals beyond a Map.
    const m = (this.kernel.vfs as unknown as { mounts?: unknown }).mounts;
    if (!(m instanceof Map)) return [];
    const out: MountEntry[] = [];
    for (const [target, fs] of m as Map<string, FileSystem>) {
      const source = fs.type === 'ext2' ? '/dev/root' : fs.type === 'devtmpfs' ? 'udev' : fs.type;
      out.push({ source, target, fstype: fs.type, options: `${fs.readOnly ? 'ro' : 'rw'},relatime`, dev: fs.dev });
    }
    return out;
  }

  private mountinfo(): string {
    const list = this.mountList();
    const ids = list.map((_, i) => 21 + i);
    return list.map((e, i) => {
      // The parent is the latest earlier mount whose target contains this one.
      let parent = 1;
      for (let j = i - 1; j >= 0; j--) {
        const t = list[j].target;
        if (e.target !== t && (t === '/' || e.target.startsWith(`${t}/`))) { parent = ids[j]; break; }
      }
      const d = e.dev ?? 0;
      const superOpt = e.options.startsWith('ro') ? 'ro' : 'rw';
      return `${ids[i]} ${parent} ${major(d)}:${minor(d)} / ${mangle(e.target)} ${e.options} - ${e.fstype} ${mangle(e.source)} ${superOpt}\n`;
    }).join('');
  }

  // ---- Per-process entries ----

  /** /proc/PID: a process by its pid, or (hidden from listings, as in Linux) a thread by its tid. */
  private pidDir(id: number): SynthDir | null {
    const k = this.kernel;
    const proc = k.processes.get(id);
    if (proc) return this.processDir(`${id}`, () => k.processes.get(id), undefined);
    const task = k.tasks.get(id);
    if (task) return this.processDir(`${id}`, () => k.tasks.get(id)?.proc, () => k.tasks.get(id));
    return null;
  }

  private processDir(key: string, getProc: () => Process | undefined, getTask: (() => Task | undefined) | undefined, inTask = false): SynthDir {
    const owner = (): [number, number] => {
      const p = getProc();
      return p ? [p.creds.euid, p.creds.egid] : [0, 0];
    };
    const time = (): number => {
      const p = getProc();
      return Math.floor((this.kernel.bootTime + (p?.startTime ?? 0)) / 1000);
    };
    const opts = { owner, time };
    const withProc = (fn: (p: Process, t: Task | undefined) => string | Uint8Array) => () => {
      const p = getProc();
      return p ? fn(p, getTask?.()) : -ENOENT;
    };
    const file = (perm: number, fn: (p: Process, t: Task | undefined) => string | Uint8Array) =>
      new Lazy((k) => new SynthFile(this, this.ino(k), perm, withProc(fn), opts));
    const link = (fn: (p: Process) => string) =>
      new Lazy((k) => new SynthLink(this, this.ino(k), () => { const p = getProc(); return p ? fn(p) : -ENOENT; }, opts));
    const nulJoin = (a: string[]): Uint8Array => new TextEncoder().encode(a.map((s) => `${s}\0`).join(''));
    const tree: Tree = {
      stat: file(0o444, (p, t) => this.pidStat(p, t)),
      statm: file(0o444, (p) => {
        const s = memStats(p);
        return `${s.size} ${s.size} ${s.shared} ${s.text} 0 ${s.data} 0\n`;
      }),
      status: file(0o444, (p, t) => this.pidStatus(p, t)),
      cmdline: file(0o444, (p) => nulJoin(p.zombie ? [] : p.argv)),
      environ: file(0o400, (p) => nulJoin(p.envp)),
      comm: file(0o644, (p, t) => `${comm(p, t)}\n`),
      maps: file(0o444, (p) => p.mem.mappings.map(mapsLine).join('')),
      mounts: file(0o444, () => this.mountList().map((e) => `${mangle(e.source)} ${mangle(e.target)} ${e.fstype} ${e.options} 0 0\n`).join('')),
      mountinfo: file(0o444, () => this.mountinfo()),
      limits: file(0o444, (p) => this.limits(p)),
      cgroup: file(0o444, () => '0::/\n'),
      oom_score_adj: file(0o644, () => '0\n'),
      exe: link((p) => p.exe),
      cwd: link((p) => p.fs.cwd),
      root: link((p) => p.fs.root),
      fd: new Lazy((k) => this.fdDir(k, getProc, opts, false)),
      fdinfo: new Lazy((k) => this.fdDir(k, getProc, opts, true)),
    };
    if (!inTask) {
      tree.task = new Lazy((k) => new SynthDir(this, this.ino(k), 0o555, {
        names: () => (getProc()?.threads ?? []).map((t) => String(t.tid)),
        get: (name) => {
          const tid = Number(name);
          const p = getProc();
          if (!p || !p.threads.some((t) => t.tid === tid)) return null;
          return this.processDir(`${k}/${name}`, getProc, () => p.threads.find((t) => t.tid === tid), true);
        },
      }, opts));
    }
    return treeDir(this, key, tree, 0o555, opts);
  }

  private fdDir(key: string, getProc: () => Process | undefined, opts: { owner: () => [number, number] }, info: boolean): SynthDir {
    const open = (): number[] => {
      const p = getProc();
      const out: number[] = [];
      p?.files.fds.forEach((f, i) => { if (f) out.push(i); });
      return out;
    };
    return new SynthDir(this, this.ino(key), 0o500, {
      names: () => open().map(String),
      get: (name) => {
        if (!/^(0|[1-9][0-9]*)$/.test(name)) return null;
        const fd = Number(name);
        const f = getProc()?.files.get(fd);
        if (!f) return null;
        const k = `${key}/${name}`;
        if (info) {
          return new SynthFile(this, this.ino(k), 0o444, async () => {
            const p = getProc();
            const cur = p?.files.get(fd);
            if (!p || !cur) return -ENOENT;
            const st = await cur.stat();
            const flags = cur.flags | (p.files.cloexec[fd] ? 0o2000000 : 0);
            // mnt_id: the mount the file lives on, as mountinfo numbers them (libudev's dev_is_devtmpfs
            // matches the two to see whether /dev is a devtmpfs); files of no mounted file system: 0.
            const at = this.mountList().map((e) => e.dev).lastIndexOf(st.dev);
            return `pos:\t${cur.pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${at < 0 ? 0 : 21 + at}\nino:\t${st.ino}\n`;
          }, opts);
        }
        // Link permissions follow the open mode (fs/proc/fd.c): r-x for read, -w- for write, user only.
        const acc = f.flags & O_ACCMODE;
        const perm = (acc !== O_WRONLY ? 0o500 : 0) | (acc !== O_RDONLY ? 0o200 : 0);
        return new SynthLink(this, this.ino(k), () => getProc()?.files.get(fd)?.path || -ENOENT, {
          ...opts, perm, jump: () => getProc()?.files.get(fd) ?? -ENOENT,
        });
      },
    }, opts);
  }

  /** /proc/PID/stat: the 52 fields of proc(5), in order. */
  private pidStat(p: Process, t: Task | undefined): string {
    const threads = t ? [t] : p.threads;
    const ut = threads.reduce((s, x) => s + x.utimeMs, 0);
    const st = threads.reduce((s, x) => s + x.stimeMs, 0);
    const m = memStats(p);
    const lead = t ?? p.leader;
    const pending = sigMask([...p.pending, ...(lead?.pending ?? [])]);
    const blocked = lead?.sigmask ?? 0n;
    const [ign, cgt] = this.sigDispositions(p);
    const low = (b: bigint): string => (b & 0xffffffffn).toString();
    const stack = p.mem.mappings.find((x) => x.name === '[stack]');
    const f: (string | number)[] = [
      t?.tid ?? p.pid, `(${comm(p, t)})`, taskState(p, t)[0], p.parent?.pid ?? 0, p.pgid, p.sid,
      0 /* tty_nr */, -1 /* tpgid */, 4194304 /* flags: PF_RANDOMIZE, as for a normal user task */,
      0, 0, 0, 0, ticks(ut), ticks(st), ticks(p.cutimeMs), ticks(p.cstimeMs), 20, 0, p.threads.length, 0,
      ticks(lead?.startTime ?? p.startTime), m.size * PAGE, m.size, RLIM_INFINITY,
      m.exe?.start ?? 0, m.exe?.end ?? 0, stack?.end ?? 0, 0, 0,
      low(pending), low(blocked), low(ign), low(cgt), 0, 0, 0, p.exitSignal, 0, 0, 0, 0, 0, 0,
      0, 0, p.mem.brkStart, 0, 0, 0, 0, p.zombie ? p.exitStatus : 0,
    ];
    return `${f.join(' ')}\n`;
  }

  private sigDispositions(p: Process): [bigint, bigint] {
    let ign = 0n, cgt = 0n;
    p.sigactions.a.forEach((a, sig) => {
      if (sig < 1) return;
      if (a.handler === 1) ign |= 1n << BigInt(sig - 1);
      else if (a.handler !== 0) cgt |= 1n << BigInt(sig - 1);
    });
    return [ign, cgt];
  }

  /** /proc/PID/status, in the order fs/proc/array.c prints it. */
  private pidStatus(p: Process, t: Task | undefined): string {
    const c = p.creds;
    const [st, stName] = taskState(p, t);
    const lead = t ?? p.leader;
    const m = memStats(p);
    const vm = (label: string, pages: number): string => `${label}:\t${String((pages * PAGE) / 1024).padStart(8)} kB\n`;
    const [ign, cgt] = this.sigDispositions(p);
    const caps = c.euid === 0 ? '000001ffffffffff' : '0000000000000000';
    const fdSize = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, p.files.fds.length))));
    let s = `Name:\t${comm(p, t)}\nUmask:\t${p.fs.umask.toString(8).padStart(4, '0')}\nState:\t${st} (${stName})\n` +
      `Tgid:\t${p.pid}\nNgid:\t0\nPid:\t${t?.tid ?? p.pid}\nPPid:\t${p.parent?.pid ?? 0}\nTracerPid:\t0\n` +
      `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}\nGid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}\n` +
      `FDSize:\t${fdSize}\nGroups:\t${c.groups.join(' ')}\n` +
      `NStgid:\t${p.pid}\nNSpid:\t${t?.tid ?? p.pid}\nNSpgid:\t${p.pgid}\nNSsid:\t${p.sid}\n`;
    if (!p.zombie) {
      s += vm('VmPeak', m.size) + vm('VmSize', m.size) + vm('VmLck', 0) + vm('VmPin', 0) + vm('VmHWM', m.size) +
        vm('VmRSS', m.size) + vm('RssAnon', m.size - m.shared) + vm('RssFile', m.shared) + vm('RssShmem', 0) +
        vm('VmData', m.data) + vm('VmStk', m.stack) + vm('VmExe', m.text) + vm('VmLib', 0) + vm('VmPTE', 0) + vm('VmSwap', 0);
    }
    s += `Threads:\t${p.threads.length}\nSigQ:\t0/15633\n` +
      `SigPnd:\t${hex16(sigMask(lead?.pending ?? []))}\nShdPnd:\t${hex16(sigMask(p.pending))}\n` +
      `SigBlk:\t${hex16(lead?.sigmask ?? 0n)}\nSigIgn:\t${hex16(ign)}\nSigCgt:\t${hex16(cgt)}\n` +
      `CapInh:\t0000000000000000\nCapPrm:\t${caps}\nCapEff:\t${caps}\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n` +
      'NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tnot vulnerable\n' +
      'Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0\n' +
      'voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n';
    return s;
  }

  /** /proc/PID/limits (fs/proc/base.c proc_pid_limits). */
  private limits(p: Process): string {
    const show = (v: number): string => (v >= RLIM_INFINITY || !Number.isFinite(v) ? 'unlimited' : String(v));
    let s = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
    LIMITS.forEach(([label, units, soft, hard], res) => {
      const [cur, max] = p.rlimits.get(res) ?? [soft, hard];
      s += `${label.padEnd(25)} ${show(cur).padEnd(20)} ${show(max).padEnd(20)} ${units ? units.padEnd(10) : ''}\n`;
    });
    return s;
  }
}

/** An RFC 4122 version-4 UUID, from the Web Crypto API present in workers and Node. */
function randomUuid(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const h = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16));
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
