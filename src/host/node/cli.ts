/**
 * `webx86` command line: run i386 Linux programs from host directories or disk images.
 */
import { parseArgs } from 'node:util';
import { createMachine, spawnOnConsole } from '../../engine/machine.js';
import { setInterpCalls, setSseCode, setX87Code } from '../../engine/jit/region.js';
import { setX87Calls } from '../../engine/jit/interp-call.js';
import { useNodeBinaryen } from './binaryen.js';
import { useNodeCompileWorker } from './compile-worker.js';
import { useNodeTranslationCache } from './translation-store.js';
import { applyV8Flags } from './v8-flags.js';
import { HostFs } from './hostfs.js';
import { NodeTerminal, HostInputFile, HostOutputFile } from './console.js';
import type { FileSystem } from '../../engine/fs/types.js';
import { imageMain } from './image/cli.js';
import { openDisk, type OpenedDisk } from './disk.js';
import { imageSplitMain } from './image-split.js';
import { fsckMain } from './fsck.js';
import { relayMain } from './relay.js';
import { EIO, strerror } from '../../engine/linux/errno.js';
import { shellExitCode } from '../../engine/linux/task.js';
import { HostStack } from './net-host.js';
import type { NetStack } from '../../engine/net/stack.js';
import { getServers } from 'node:dns';
import type { Kernel } from '../../engine/linux/kernel.js';

/**
 * Does the guest's /etc/resolv.conf name a server? When it does not (missing, empty), glibc
 * asks the loopback address, and with --net host the host stack forwards those queries to
 * the host's own servers: names resolve in the guest as on the host.
 */
async function namesServer(kernel: Kernel): Promise<boolean> {
  try {
    return /^\s*nameserver\s+\S/m.test(await kernel.vfs.readFileText('/etc/resolv.conf'));
  } catch {
    return false;
  }
}

const USAGE = `usage: webx86 run [options] -- PROGRAM [ARGS...]
       webx86 image split IMAGE OUTDIR [--chunk-size N]
       webx86 image [options] --out FILE.ext2   (webx86 image --help)
       webx86 syscalls [--markdown]             (which system calls are supported, and how far)
       webx86 fsck --disk IMAGE --overlay FILE [-n|-y]   check (-y: repair) an overlay's file system
       webx86 relay --listen PORT --allow HOST:PORT,...  a WebSocket relay for --net relay (webx86 relay --help)

Run an unmodified 32-bit x86 Linux program.

options:
  --disk IMAGE.ext2          an ext2 image as the root file system (read-only; /tmp is a tmpfs);
                             an http(s):// URL streams it from any server with Range support
  --rw                       mount the --disk image read-write (local file, or with --overlay);
                             written back and marked clean when the program exits
  --chunked                  --disk URL names a chunked image's metadata (webx86 image split)
  --overlay FILE             keep downloaded blocks (and later writes) in a local overlay file,
                             so the next run reads them locally
  --progress                 show download progress on stderr (default when stderr is a terminal)
  --mount HOSTDIR:GUESTDIR   mount a host directory (repeatable); HOSTDIR:/ makes it the root
  --cwd DIR                  working directory in the guest (default /)
  --env NAME=VALUE           environment variable (repeatable; default PATH, HOME, TERM)
  --uid N, --gid N           credentials (default 0, root)
  --net host|none|tailscale|relay  the guest's network: host (default) makes guest sockets the host's
                             sockets (127.0.0.1 is the host's loopback); none gives a loopback
                             inside the VM only (other destinations: Network is unreachable);
                             tailscale joins a tailnet (WireGuard over DERP) before the program runs;
                             relay sends TCP and UDP through a webx86 relay (--relay-url)
  --ts-control URL           Tailscale control server (default https://controlplane.tailscale.com)
  --ts-authkey KEY           pre-auth key; without one the login URL is printed and awaited
  --ts-state FILE            keep the node's keys in FILE (the same node next time); default: none
  --ts-hostname NAME         the node's name in the tailnet (default webx86)
  --ts-exit-node NAME|auto|none  exit node for traffic outside the tailnet (default auto)
  --ts-udp ADDR[:PORT]|none  the UDP socket for direct paths to peers (default 0.0.0.0, any port;
                             none: everything over DERP, as in a browser)
  --relay-url ws://HOST:PORT the relay for --net relay
  --jit on|off|force         translate hot code to WebAssembly (on, default), interpret only (off),
                             or translate everything at first execution (force: for testing)
  --debug                    log unimplemented system calls and internal errors to stderr, and
                             the JIT's figures at exit (regions, compile time, exits by kind)
  -h, --help                 this help
`;

export async function main(argv: string[]): Promise<number> {
  try { applyV8Flags(); } catch (e) { process.stderr.write(`webx86: ${(e as Error).message}\n`); return 2; }
  useNodeBinaryen();
  useNodeCompileWorker();
  useNodeTranslationCache();
  // To compare: instructions without a translation end regions again (docs/JIT.md).
  if (process.env.WEBX86_JIT_INTERP_CALLS === 'off') setInterpCalls(false);
  if (process.env.WEBX86_JIT_SSE === 'off') setSseCode(false);
  if (process.env.WEBX86_JIT_X87 === 'off') setX87Code(false);
  if (process.env.WEBX86_JIT_X87_CALLS === 'on') setX87Calls(true);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') { process.stdout.write(USAGE); return cmd ? 0 : 2; }
  if (cmd === 'image' && rest[0] === 'split') return imageSplitMain(rest.slice(1));
  if (cmd === 'image') return imageMain(rest);
  if (cmd === 'syscalls') return syscallsMain(rest);
  if (cmd === 'fsck') return fsckMain(rest);
  if (cmd === 'relay') return relayMain(rest);
  if (cmd !== 'run') { process.stderr.write(`webx86: unknown command '${cmd}'\n${USAGE}`); return 2; }
  return run(rest);
}

/** `webx86 syscalls [--markdown]`: the support status of every i386 system call. */
async function syscallsMain(args: string[]): Promise<number> {
  const bad = args.filter((a) => a !== '--markdown');
  if (bad.length) { process.stderr.write(`webx86 syscalls: unknown argument '${bad[0]}' (only --markdown)\n`); return 2; }
  const { renderSyscallTable } = await import('../../engine/linux/syscalls/status.js');
  process.stdout.write(renderSyscallTable(args.includes('--markdown') ? 'markdown' : 'text'));
  return 0;
}

async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        disk: { type: 'string' },
        overlay: { type: 'string' },
        chunked: { type: 'boolean' },
        rw: { type: 'boolean' },
        progress: { type: 'boolean' },
        mount: { type: 'string', multiple: true },
        cwd: { type: 'string' },
        env: { type: 'string', multiple: true },
        uid: { type: 'string' },
        net: { type: 'string' },
        'relay-url': { type: 'string' },
        jit: { type: 'string' },
        'ts-control': { type: 'string' },
        'ts-authkey': { type: 'string' },
        'ts-state': { type: 'string' },
        'ts-hostname': { type: 'string' },
        'ts-udp': { type: 'string' },
        'ts-exit-node': { type: 'string' },
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
  let disk: OpenedDisk | undefined;
  if (o.disk) {
    if (root) { process.stderr.write('webx86: --disk and --mount HOSTDIR:/ both give a root; choose one\n'); return 2; }
    const d = await openDisk({ disk: o.disk, overlay: o.overlay, chunked: o.chunked, progress: o.progress, rw: o.rw });
    if (typeof d === 'string') { process.stderr.write(`webx86: ${d}\n`); return 2; }
    disk = d;
    root = d.fs;
  } else if (o.overlay || o.chunked || o.rw) { process.stderr.write('webx86: --overlay, --chunked and --rw go with --disk\n'); return 2; }
  const netMode = o.net ?? 'host';
  if (netMode !== 'host' && netMode !== 'none' && netMode !== 'tailscale' && netMode !== 'relay') { process.stderr.write(`webx86: --net wants host, none, tailscale or relay, got '${netMode}'\n`); return 2; }
  if (netMode !== 'tailscale' && (o['ts-control'] || o['ts-authkey'] || o['ts-state'] || o['ts-hostname'] || o['ts-exit-node'] || o['ts-udp'])) { process.stderr.write('webx86: the --ts-* options go with --net tailscale\n'); return 2; }
  if ((netMode === 'relay') !== (o['relay-url'] !== undefined)) { process.stderr.write('webx86: --net relay and --relay-url ws://HOST:PORT go together\n'); return 2; }
  let network: NetStack | undefined;
  let closeNetwork = () => {};
  if (netMode === 'host') { const h = new HostStack(); network = h; closeNetwork = () => h.close(); }
  else if (netMode === 'tailscale') {
    const { joinTailnet } = await import('./tailscale.js');
    const ts = await joinTailnet({ controlUrl: o['ts-control'], authKey: o['ts-authkey'], statePath: o['ts-state'], hostname: o['ts-hostname'], exitNode: o['ts-exit-node'], udp: o['ts-udp'], debug: !!o.debug });
    if (typeof ts === 'string') { process.stderr.write(`webx86: ${ts}\n`); return 1; }
    network = ts.stack;
    closeNetwork = ts.close;
  } else if (netMode === 'relay') {
    const { RelayStack } = await import('../../net/relay/stack.js');
    let r: NetStack;
    try {
      r = new RelayStack({ url: o['relay-url']!, log: o.debug ? (m) => process.stderr.write(`webx86: ${m}\n`) : undefined });
    } catch (e) { process.stderr.write(`webx86: --relay-url: ${(e as Error).message}\n`); return 2; }
    network = r;
    closeNetwork = () => r.close?.();
  }
  const jit = o.jit ?? 'on';
  if (jit !== 'on' && jit !== 'off' && jit !== 'force') { process.stderr.write(`webx86: --jit wants on, off or force, got '${jit}'\n`); return 2; }
  const debug = o.debug ? (msg: string) => process.stderr.write(`webx86: ${msg}\n`) : undefined;
  // An interactive host terminal becomes the guest's console (line discipline, job
  // control); pipes and files pass through as plain streams.
  const terminal = process.stdin.isTTY && process.stdout.isTTY ? new NodeTerminal() : undefined;
  const machine = await createMachine({ root, mounts, debug, terminal, network, jit });
  const { kernel } = machine;
  if (network instanceof HostStack && !(await namesServer(kernel))) network.dnsServers = getServers();
  const env = o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', `TERM=${process.env.TERM ?? 'xterm'}`];
  const hostStdio = () => [new HostInputFile(process.stdin), new HostOutputFile(process.stdout, 'pipe:[stdout]'), new HostOutputFile(process.stderr, 'pipe:[stderr]')];
  // Awaited: with --rw, closing the disk writes back the file system before the process exits.
  const close = async () => { closeNetwork(); terminal?.dispose(); process.stdin.pause(); process.stdin.unref?.(); await disk?.close(); };
  const path = positionals[0];
  const spawnOpts = {
    argv: positionals, env, cwd: o.cwd ?? '/', uid: Number(o.uid ?? 0), gid: Number(o.gid ?? 0),
    diag: (msg: string) => process.stderr.write(`webx86: ${msg}\n`),
  };
  const p = machine.console ? await spawnOnConsole(machine, path, spawnOpts) : await kernel.spawn(path, { ...spawnOpts, stdio: hostStdio() });
  if (typeof p === 'number') {
    // An I/O error says nothing by itself: add what failed and what to do.
    const cause = p === -EIO ? disk?.lastError() : null;
    process.stderr.write(`webx86: cannot run ${path}: ${strerror(-p)}${cause ? `: ${cause}` : ''}\n`);
    await close();
    return 126 + (p === -2 ? 1 : 0);
  }
  disk?.reportErrors();
  let status = 0;
  kernel.sched.onProcessExit = (q) => { if (q === p) status = q.exitStatus; };
  await kernel.sched.run();
  await close();
  // Exit like a shell reports the child: code, or 128 + signal (re-raising the signal is not
  // possible portably, so the conventional number).
  if (status & 0x7f && debug) debug(`program killed by signal ${status & 0x7f}`);
  if (debug && kernel.jit) debug(`jit: ${JSON.stringify(kernel.jit.snapshot())}`);
  return shellExitCode(status);
}
