/**
 * `webx86` command line: run i386 Linux programs from host directories or disk images.
 */
import { parseArgs } from 'node:util';
import { createMachine, spawnOnConsole } from '../../engine/machine.js';
import { HostFs } from './hostfs.js';
import { NodeTerminal, HostInputFile, HostOutputFile } from './console.js';
import type { FileSystem } from '../../engine/fs/types.js';
import { imageMain } from './image/cli.js';
import { Ext2Fs } from '../../engine/fs/ext2/index.js';
import { FileDevice } from './file-device.js';
import { allocAnonDev } from '../../engine/fs/tmpfs.js';
import { existsSync, statSync } from 'node:fs';

const USAGE = `usage: webx86 run [options] -- PROGRAM [ARGS...]
       webx86 image [options] --out FILE.ext2   (webx86 image --help)

Run an unmodified 32-bit x86 Linux program.

options:
  --disk IMAGE.ext2          an ext2 image as the root file system (read-only; /tmp is a tmpfs)
  --mount HOSTDIR:GUESTDIR   mount a host directory (repeatable); HOSTDIR:/ makes it the root
  --cwd DIR                  working directory in the guest (default /)
  --env NAME=VALUE           environment variable (repeatable; default PATH, HOME, TERM)
  --uid N, --gid N           credentials (default 0, root)
  --debug                    log unimplemented system calls and internal errors to stderr
  -h, --help                 this help
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') { process.stdout.write(USAGE); return cmd ? 0 : 2; }
  if (cmd === 'image') return imageMain(rest);
  if (cmd !== 'run') { process.stderr.write(`webx86: unknown command '${cmd}'\n${USAGE}`); return 2; }
  return run(rest);
}

async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        disk: { type: 'string' },
        mount: { type: 'string', multiple: true },
        cwd: { type: 'string' },
        env: { type: 'string', multiple: true },
        uid: { type: 'string' },
        gid: { type: 'string' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`webx86: ${(e as Error).message}\n`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) { process.stdout.write(USAGE); return 0; }
  if (positionals.length === 0) { process.stderr.write(`webx86: no program given\n${USAGE}`); return 2; }
  let root: FileSystem | undefined;
  const mounts: { path: string; fs: FileSystem }[] = [];
  for (const m of o.mount ?? []) {
    const i = m.lastIndexOf(':');
    if (i <= 0 || !m.slice(i + 1).startsWith('/')) { process.stderr.write(`webx86: --mount wants HOSTDIR:/GUESTDIR, got '${m}'\n`); return 2; }
    const fs = new HostFs(m.slice(0, i));
    const at = m.slice(i + 1);
    if (at === '/') root = fs; else mounts.push({ path: at, fs });
  }
  if (o.disk) {
    const disk = await openDisk(o.disk);
    if (typeof disk === 'string') { process.stderr.write(`webx86: ${disk}\n`); return 2; }
    if (root) { process.stderr.write('webx86: --disk and --mount HOSTDIR:/ both give a root; choose one\n'); return 2; }
    root = disk;
  }
  const debug = o.debug ? (msg: string) => process.stderr.write(`webx86: ${msg}\n`) : undefined;
  // An interactive host terminal becomes the guest's console (line discipline, job
  // control); pipes and files pass through as plain streams.
  const terminal = process.stdin.isTTY && process.stdout.isTTY ? new NodeTerminal() : undefined;
  const machine = await createMachine({ root, mounts, debug, terminal });
  const { kernel } = machine;
  const env = o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', `TERM=${process.env.TERM ?? 'xterm'}`];
  const hostStdio = () => [new HostInputFile(process.stdin), new HostOutputFile(process.stdout, 'pipe:[stdout]'), new HostOutputFile(process.stderr, 'pipe:[stderr]')];
  const close = () => { terminal?.dispose(); process.stdin.pause(); process.stdin.unref?.(); };
  const path = positionals[0];
  const spawnOpts = {
    argv: positionals, env, cwd: o.cwd ?? '/', uid: Number(o.uid ?? 0), gid: Number(o.gid ?? 0),
    diag: (msg: string) => process.stderr.write(`webx86: ${msg}\n`),
  };
  const p = machine.console ? await spawnOnConsole(machine, path, spawnOpts) : await kernel.spawn(path, { ...spawnOpts, stdio: hostStdio() });
  if (typeof p === 'number') {
    process.stderr.write(`webx86: cannot run ${path}: ${errnoText(-p)}\n`);
    close();
    return 126 + (p === -2 ? 1 : 0);
  }
  let status = 0;
  kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  await kernel.sched.run();
  close();
  // Exit like a shell reports the child: code, or 128 + signal (after re-raising is not possible
  // portably, so the conventional number).
  if (status & 0x7f) {
    const sig = status & 0x7f;
    if (debug) debug(`program killed by signal ${sig}`);
    return 128 + sig;
  }
  return (status >> 8) & 0xff;
}

const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 8: 'Exec format error', 13: 'Permission denied',
  20: 'Not a directory', 21: 'Is a directory', 40: 'Too many levels of symbolic links', 7: 'Argument list too long',
};
const errnoText = (e: number) => ERRNO_TEXT[e] ?? `error ${e}`;

/** Mount an ext2 image file read-only, or say in one line why not. */
async function openDisk(path: string): Promise<FileSystem | string> {
  if (!existsSync(path)) return `${path}: no such image file`;
  if (!statSync(path).isFile()) return `${path}: not a regular file`;
  try {
    return await Ext2Fs.mount(new FileDevice(path), allocAnonDev());
  } catch (e) {
    return `${path}: cannot mount as ext2: ${(e as Error).message}`;
  }
}
