import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Kernel } from '../../src/engine/linux/kernel.js';
import { Process, Task } from '../../src/engine/linux/task.js';
import { AddressSpace, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../src/engine/mem/address-space.js';
import { Cpu } from '../../src/engine/cpu/cpu.js';
import { FdTable, File, O_RDONLY, O_RDWR, O_WRONLY, type Inode, type Stat } from '../../src/engine/fs/types.js';
import { ProcFs, mapsLine } from '../../src/engine/kernfs/procfs.js';
import type { SnapshotFile } from '../../src/engine/fs/synthetic.js';

class FakeFile extends File {
  stat(): Stat {
    const t = { sec: 0, nsec: 0 };
    return { dev: 0, ino: 77, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }
}

const creds = (uid: number) => ({ uid, euid: uid, suid: uid, fsuid: uid, gid: uid, egid: uid, sgid: uid, fsgid: uid, groups: [uid, 27] });

let kernel: Kernel;
let proc: ProcFs;
let init: Process;
let prog: Process;
let current = 1;

function makeProcess(pid: number, parent: Process | null, uid: number): Process {
  const mem = new AddressSpace(0x1000000);
  const p = new Process(kernel, pid, parent, mem, new FdTable(), { cwd: '/home/user', root: '/', umask: 0o022 }, creds(uid));
  const t = new Task(pid, p, new Cpu(mem));
  p.threads.push(t);
  kernel.processes.set(pid, p);
  kernel.tasks.set(pid, t);
  return p;
}

async function lookup(path: string): Promise<Inode> {
  let n: Inode = proc.root;
  for (const c of path.split('/').filter(Boolean)) {
    const next = await n.lookup!(c);
    assert.ok(next && typeof next === 'object', `no ${c} in ${path}`);
    n = next as Inode;
  }
  return n;
}

async function statOf(path: string): Promise<Stat> {
  return (await lookup(path)).stat();
}

async function read(path: string): Promise<string> {
  const f = (await (await lookup(path)).open!(O_RDONLY, `/proc/${path}`)) as SnapshotFile;
  assert.ok(typeof f === 'object', `open ${path}: ${String(f)}`);
  // Read in small pieces: the snapshot must stay consistent across them.
  const parts: Buffer[] = [];
  for (;;) {
    const b = Buffer.alloc(7);
    const n = f.read(null as unknown as Task, b);
    if (n <= 0) break;
    parts.push(b.subarray(0, n));
  }
  return Buffer.concat(parts).toString('latin1');
}

describe('procfs', () => {
  before(() => {
    kernel = new Kernel({ hostname: 'testhost' });
    init = makeProcess(1, null, 0);
    init.exe = '/sbin/init';
    init.argv = ['/sbin/init'];
    prog = makeProcess(42, init, 1000);
    prog.exe = '/usr/bin/my prog';
    prog.argv = ['my prog', '-x', ''];
    prog.envp = ['HOME=/home/user', 'TERM=xterm'];
    prog.threads[0].comm = 'my prog';
    prog.startTime = 1500;
    prog.threads[0].startTime = 1500;
    prog.threads[0].utimeMs = 1234;
    prog.threads[0].stimeMs = 560;
    prog.threads[0].state = 'blocked';
    prog.threads[0].sigmask = (1n << 1n) | (1n << 14n); // SIGINT, SIGTERM
    prog.sigactions.a[13].handler = 1; // SIGPIPE ignored
    prog.sigactions.a[17].handler = 0x8049000; // SIGCHLD caught
    const m = prog.mem;
    m.map(0x250000, 0x2000, PROT_READ | PROT_EXEC, MAP_PRIVATE, prog.exe, 0, 0x801, 1234);
    m.map(0x252000, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE, prog.exe, 0x2000, 0x801, 1234);
    m.map(0x280000, 0x3000, PROT_READ | PROT_WRITE, MAP_PRIVATE, '[heap]');
    m.map(0x300000, 0x1000, PROT_READ, MAP_SHARED, '/lib/i386-linux-gnu/libc.so.6', 0x123000, 0x100803, 99999);
    m.map(0x400000, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE, '');
    m.map(0xf00000, 0x21000, PROT_READ | PROT_WRITE, MAP_PRIVATE, '[stack]');
    m.brkStart = 0x280000;
    const t2 = new Task(43, prog, new Cpu(m));
    t2.comm = 'worker';
    prog.threads.push(t2);
    kernel.tasks.set(43, t2);
    const f = new FakeFile(O_RDWR, '/tmp/data.txt');
    prog.files.install(0, f);
    prog.files.install(1, new FakeFile(O_WRONLY, 'pipe:[1234]'), true);
    proc = new ProcFs(kernel, {
      dev: 0x12, currentPid: () => current, currentTid: () => current === 42 ? 43 : current,
      mounts: () => [
        { source: '/dev/root', target: '/', fstype: 'ext2', options: 'ro,relatime', dev: 0x801 },
        { source: 'proc', target: '/proc', fstype: 'proc', options: 'rw,nosuid,nodev,noexec,relatime', dev: 0x12 },
        { source: 'tmpfs', target: '/tmp/my dir', fstype: 'tmpfs', options: 'rw,relatime', dev: 0x13 },
      ],
    });
  });

  it('lists system entries and one directory per process', async () => {
    const names = (proc.root.readdir() as { name: string }[]).map((e) => e.name);
    for (const n of ['self', 'thread-self', 'cpuinfo', 'meminfo', 'mounts', 'uptime', 'loadavg', 'stat', 'version', 'filesystems', 'sys', '1', '42']) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes('43'), 'threads are hidden from the listing');
    assert.ok(await proc.root.lookup('43'), 'but reachable by tid');
    assert.equal(await proc.root.lookup('99'), null);
  });

  it('self and thread-self point at the caller', async () => {
    current = 42;
    assert.equal((await lookup('self')).readlink!(), '42');
    assert.equal((await lookup('thread-self')).readlink!(), '42/task/43');
    current = 1;
    assert.equal((await lookup('self')).readlink!(), '1');
    assert.equal((await lookup('mounts')).readlink!(), 'self/mounts');
  });

  it('/proc/PID/stat has the 52 fields of proc(5), like the host kernel prints', async () => {
    const s = await read('42/stat');
    assert.ok(s.endsWith('\n'));
    assert.ok(s.startsWith('42 (my prog) S 1 1 1 '));
    const rest = s.slice(s.lastIndexOf(')') + 2).trim().split(' ');
    const host = fs.readFileSync('/proc/self/stat', 'latin1');
    assert.equal(rest.length + 2, host.slice(host.lastIndexOf(')') + 2).trim().split(' ').length + 2);
    assert.equal(rest.length + 2, 52);
    const field = (n: number): string => rest[n - 3];
    assert.equal(field(14), '123'); // utime in ticks of 1/100 s
    assert.equal(field(15), '56');
    assert.equal(field(20), '2'); // threads
    assert.equal(field(22), '150'); // starttime
    assert.equal(field(23), String(0x29000)); // vsize, bytes
    assert.equal(field(26), String(0x250000)); // startcode
    assert.equal(field(27), String(0x252000));
    assert.equal(field(32), String((1 << 1) | (1 << 14))); // blocked
    assert.equal(field(33), String(1 << 12)); // ignored: SIGPIPE
    assert.equal(field(34), String(1 << 16)); // caught: SIGCHLD
    assert.equal(field(38), '17');
  });

  it('/proc/PID/status has the host kernel\'s keys, tab-separated', async () => {
    const s = await read('42/status');
    const hostKeys = new Set(fs.readFileSync('/proc/self/status', 'latin1').split('\n').map((l) => l.split(':')[0]));
    const lines = s.trimEnd().split('\n');
    for (const l of lines) {
      assert.match(l, /^[A-Za-z_]+:\t/, l);
      assert.ok(hostKeys.has(l.split(':')[0]) || l.startsWith('Speculation'), `unknown key ${l}`);
    }
    assert.ok(lines.includes('Name:\tmy prog'));
    assert.ok(lines.includes('State:\tS (sleeping)'));
    assert.ok(lines.includes('Uid:\t1000\t1000\t1000\t1000'));
    assert.ok(lines.includes('Groups:\t1000 27'));
    assert.ok(lines.includes('PPid:\t1'));
    assert.ok(lines.includes('Threads:\t2'));
    assert.ok(lines.includes('Umask:\t0022'));
    assert.ok(lines.includes(`VmSize:\t     ${(0x29000 / 1024)} kB`), 'VmSize right-aligned in 8 columns');
    assert.ok(lines.includes('SigBlk:\t0000000000004002'));
    assert.ok(lines.includes('SigIgn:\t0000000000001000'));
    assert.ok(lines.includes('CapEff:\t0000000000000000'));
    assert.ok((await read('1/status')).includes('CapEff:\t000001ffffffffff'));
  });

  it('/proc/PID/maps matches the i386 kernel layout, name column at 49', async () => {
    const s = await read('42/maps');
    assert.equal(s, [
      '00250000-00252000 r-xp 00000000 08:01 1234       /usr/bin/my prog',
      '00252000-00253000 rw-p 00002000 08:01 1234       /usr/bin/my prog',
      '00280000-00283000 rw-p 00000000 00:00 0          [heap]',
      '00300000-00301000 r--s 00123000 08:103 99999     /lib/i386-linux-gnu/libc.so.6',
      '00400000-00401000 rw-p 00000000 00:00 0 ',
      '00f00000-00f21000 rw-p 00000000 00:00 0          [stack]',
      '',
    ].join('\n'));
    assert.equal(mapsLine({ start: 0x08048000, end: 0x08049000, prot: 5, flags: 2, name: '/bin/x', offset: 0, dev: 0, ino: 0 }).indexOf('/'), 49);
  });

  it('cmdline and environ are NUL-terminated strings; comm is the name and a newline', async () => {
    assert.equal(await read('42/cmdline'), 'my prog\0-x\0\0');
    assert.equal(await read('42/environ'), 'HOME=/home/user\0TERM=xterm\0');
    assert.equal(await read('42/comm'), 'my prog\n');
    assert.equal(await read('42/task/43/comm'), 'worker\n');
    assert.equal(await read('43/comm'), 'worker\n');
    assert.equal((await statOf('42/environ')).mode & 0o777, 0o400);
    assert.equal((await statOf('42/stat')).uid, 1000);
  });

  it('statm counts pages', async () => {
    const f = (await read('42/statm')).trim().split(' ').map(Number);
    assert.equal(f.length, 7);
    assert.equal(f[0], 0x29000 / 4096);
    assert.equal(f[3], 2); // text: the executable's r-x pages
  });

  it('fd/ holds links to the open files, fdinfo/ their state', async () => {
    const fd = await lookup('42/fd');
    assert.deepEqual((fd.readdir!() as { name: string }[]).map((e) => e.name), ['0', '1']);
    assert.equal((await lookup('42/fd/0')).readlink!(), '/tmp/data.txt');
    assert.equal((await lookup('42/fd/1')).readlink!(), 'pipe:[1234]');
    assert.equal((await statOf('42/fd/0')).mode, 0o120700);
    assert.equal((await statOf('42/fd/1')).mode, 0o120200);
    assert.equal(await fd.lookup!('2'), null);
    assert.equal(await read('42/fdinfo/1'), 'pos:\t0\nflags:\t02000001\nmnt_id:\t0\nino:\t77\n');
  });

  it('exe, cwd and root are links', async () => {
    assert.equal((await lookup('42/exe')).readlink!(), '/usr/bin/my prog');
    assert.equal((await lookup('42/cwd')).readlink!(), '/home/user');
    assert.equal((await lookup('42/root')).readlink!(), '/');
  });

  it('task/ lists the threads', async () => {
    const t = await lookup('42/task');
    assert.deepEqual((t.readdir!() as { name: string }[]).map((e) => e.name), ['42', '43']);
    assert.ok((await read('42/task/43/stat')).startsWith('43 (worker) R 1 '));
    assert.equal(await (await lookup('42/task/43')).lookup!('task'), null);
  });

  it('mounts and mountinfo escape spaces and link parents', async () => {
    assert.equal(await read('42/mounts'),
      '/dev/root / ext2 ro,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\ntmpfs /tmp/my\\040dir tmpfs rw,relatime 0 0\n');
    const mi = (await read('42/mountinfo')).trimEnd().split('\n');
    assert.equal(mi[0], '21 1 8:1 / / ro,relatime - ext2 /dev/root ro');
    assert.equal(mi[1], '22 21 0:18 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw');
  });

  it('limits prints the kernel table', async () => {
    prog.rlimits.set(7, [256, 4096]);
    const lines = (await read('42/limits')).split('\n');
    assert.equal(lines[0], 'Limit                     Soft Limit           Hard Limit           Units     ');
    assert.equal(lines[1], 'Max cpu time              unlimited            unlimited            seconds   ');
    assert.equal(lines[8], 'Max open files            256                  4096                 files     ');
    assert.equal(lines[14], 'Max nice priority         0                    0                    ');
  });

  it('a process that exits disappears', async () => {
    const p = makeProcess(77, init, 0);
    const statFile = await lookup('77/stat');
    kernel.processes.delete(77);
    kernel.tasks.delete(77);
    assert.equal(await proc.root.lookup('77'), null);
    assert.equal(await statFile.open!(O_RDONLY, '/proc/77/stat'), -2);
    void p;
  });

  it('system files have the Linux formats', async () => {
    const cpu = await read('cpuinfo');
    assert.match(cpu, /^processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 26\nmodel name\t: webx86 virtual CPU \(Core i7 Nehalem model\)\nstepping\t: 5\n/);
    assert.match(cpu, /\ncpuid level\t: 11\n/);
    assert.match(cpu, /\nflags\t\t: fpu tsc cx8 cmov clflush mmx fxsr sse sse2 pni ssse3 sse4_1 sse4_2 popcnt\n/);
    assert.ok(cpu.endsWith('\n\n'));
    const mem = (await read('meminfo')).trimEnd().split('\n');
    for (const l of mem) assert.match(l, /^[A-Za-z_()]+:\s+\d+( kB)?$/, l);
    assert.match(mem[0], /^MemTotal:\s{7}\s*\d+ kB$/);
    assert.equal(mem[0].length, 'MemTotal:        1048576 kB'.length);
    assert.match(await read('uptime'), /^\d+\.\d\d \d+\.\d\d\n$/);
    assert.match(await read('loadavg'), /^0\.00 0\.00 0\.00 2\/3 43\n$/);
    const stat = await read('stat');
    assert.match(stat, /^cpu  \d+ 0 \d+ \d+ 0 0 0 0 0 0\ncpu0 /);
    assert.match(stat, new RegExp(`\nbtime ${Math.floor(kernel.bootTime / 1000)}\n`));
    assert.match(await read('version'), /^Linux version \S+ \(/);
    assert.match(await read('filesystems'), /^nodev\tsysfs\n[^]*\n\text2\n$/);
    assert.equal(await read('sys/kernel/hostname'), 'testhost\n');
    assert.equal(await read('sys/kernel/ostype'), 'Linux\n');
    assert.equal(await read('sys/kernel/pid_max'), '32768\n');
    assert.equal(await read('sys/vm/overcommit_memory'), '0\n');
    assert.match(await read('sys/kernel/random/uuid'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/);
  });

  it('hostname is writable through sys/kernel/hostname', async () => {
    const f = (await (await lookup('sys/kernel/hostname')).open!(O_WRONLY, '/proc/sys/kernel/hostname')) as SnapshotFile;
    assert.equal(f.write(null as unknown as Task, new TextEncoder().encode('newname\n')), 8);
    assert.equal(kernel.hostname, 'newname');
    assert.equal(await (await lookup('cpuinfo')).open!(O_WRONLY, '/proc/cpuinfo'), -22);
  });

  it('a snapshot seeks like a seq_file and inode numbers are stable', async () => {
    const f = (await (await lookup('version')).open!(O_RDONLY, '/proc/version')) as SnapshotFile;
    assert.equal(f.seek(6, 0), 6);
    const b = Buffer.alloc(7);
    f.read(null as unknown as Task, b);
    assert.equal(b.toString(), 'version');
    assert.equal(f.seek(0, 2), -22);
    assert.equal((await lookup('42/stat')).ino, (await lookup('42/stat')).ino);
    assert.notEqual((await lookup('42/stat')).ino, (await lookup('1/stat')).ino);
    assert.equal(proc.statfs().type, 0x9fa0);
  });
});
