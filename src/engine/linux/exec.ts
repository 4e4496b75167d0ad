/**
 * execve: read the program (following #! up to 4 levels), build a fresh address space
 * with the program, its ELF interpreter and the initial stack (argv, envp, auxv) laid
 * out as Linux's create_elf_tables does.
 */
import { AddressSpace, AddressSpaceFull, MAP_PRIVATE, MAP_GROWSDOWN, PAGE_SIZE, STACK_TOP, pageUp } from '../mem/address-space.js';
import { Cpu } from '../cpu/cpu.js';
import { EIP, ESP, FLAGS, FLAGS_FIXED } from '../cpu/state.js';
import { loadFlatUser } from '../cpu/seg-regs.js';
import { ElfError, ET_DYN, isElf, loadSegments, loadSpan, parseElf, type ElfInfo, type ReadAt } from '../loader/elf.js';
import { E2BIG, ELOOP, ENOEXEC, ENOMEM } from './errno.js';
import type { Task } from './task.js';
import { FEATURES_EDX } from '../cpu/identity.js';

/**
 * Where PIE programs go: right above the stack (mem/address-space.ts STACK_TOP), with their
 * brk after them and the libraries above that (AddressSpace.findFree), so the memory, which
 * grows to the highest mapping, stays small. Linux (ASLR off) uses 0x56555000; programs
 * cannot tell, as ASLR moves it anyway.
 */
export const ELF_ET_DYN_BASE = STACK_TOP;
/** Initial stack mapping; it grows on faults up to RLIMIT_STACK like Linux's. */
export const STACK_INITIAL = 128 << 10;
/** Total argv+envp bytes: a quarter of the default 8 MiB RLIMIT_STACK, as Linux allows. */
const ARG_MAX = 2 << 20;

/**
 * A program file as execve sees it: its first bytes (the #! line, the ELF header and,
 * usually, the program headers) and positional reads for the rest, so nothing beyond
 * the headers and the loaded segments is ever read.
 */
export interface ExecImage {
  path: string;
  /** File identity, for /proc/PID/maps. */
  stat?: { dev: number; ino: number };
  size: number;
  /** The first min(size, EXEC_HEAD) bytes. */
  head: Uint8Array;
  read: ReadAt;
}
/** Bytes of a program read up front: the ELF header and a typical program header table. */
export const EXEC_HEAD = 4096;
/** BINPRM_BUF_SIZE (include/uapi/linux/binfmts.h): how much of a #! line the kernel looks at. */
const BINPRM_BUF_SIZE = 256;
/**
 * Program files examined per execve: the original and up to 5 interpreters, as the loop
 * in exec_binprm() (fs/exec.c, `depth > 5` gives ELOOP). Measured natively (Linux 6.x):
 * a chain of 5 #! scripts runs, 6 fail with ELOOP.
 */
const MAX_SCRIPTS = 5;

/** How execve reads files: via the VFS (with execute permission checks). */
export type ReadExecutable = (t: Task, path: string) => Promise<ExecImage | number>;

export interface ExecResult {
  mem: AddressSpace;
  cpu: Cpu;
  path: string;
  argv: string[];
}

export class ExecError extends Error {
  constructor(readonly errno: number, msg: string) { super(msg); }
}

/**
 * Load `path` for task t. Returns the new address space and CPU (not yet installed), or
 * -errno. `diag` receives a readable reason for ENOEXEC (the CLI prints it).
 */
export async function loadProgram(
  t: Task, read: ReadExecutable, path: string, argv: string[], envp: string[], diag?: (msg: string) => void,
): Promise<ExecResult | number> {
  let file = await read(t, path);
  if (typeof file === 'number') return file;
  const execfn = path;
  // #! interpreters (binfmt_script), at most MAX_SCRIPTS in a chain. The script is passed
  // by the name it was opened with (bprm->filename, then the interpreter name), as Linux.
  let name = path;
  for (let depth = 0; ; depth++) {
    const d = file.head;
    if (d.length >= 2 && d[0] === 0x23 && d[1] === 0x21) {
      if (depth >= MAX_SCRIPTS) return -ELOOP;
      const sb = parseShebang(d.subarray(0, BINPRM_BUF_SIZE));
      if (!sb) { diag?.(`${file.path}: empty or overlong #! line`); return -ENOEXEC; }
      argv = [sb.interp, ...(sb.arg !== null ? [sb.arg] : []), name, ...argv.slice(1)];
      name = sb.interp;
      const next = await read(t, sb.interp);
      if (typeof next === 'number') return next;
      file = next;
      continue;
    }
    break;
  }
  if (!isElf(file.head)) {
    diag?.(`${file.path}: not an executable format (no ELF header or #! line)`);
    return -ENOEXEC;
  }
  try {
    const info = await parseElf(file.head, file.size, file.read);
    let interpFile: ExecImage | null = null;
    let interpInfo: ElfInfo | null = null;
    if (info.interp) {
      const r = await read(t, info.interp);
      if (typeof r === 'number') { diag?.(`${file.path}: cannot load interpreter ${info.interp}`); return r; }
      interpFile = r;
      interpInfo = await parseElf(r.head, r.size, r.read);
      if (interpInfo.interp) throw new ElfError('interpreter has its own interpreter');
    }
    const strBytes = [...argv, ...envp].reduce((n, s) => n + s.length + 1, 0);
    if (strBytes > ARG_MAX) return -E2BIG;
    const mem = AddressSpace.create(t.mem.size);
    const bias = info.type === ET_DYN ? ELF_ET_DYN_BASE - loadSpan(info).lo : 0;
    const main = await loadSegments(mem, info, file.read, bias, file.path, file.stat?.ino, file.stat?.dev);
    mem.brkStart = mem.brk = pageUp(main.end);
    let entry = main.entry, base = 0;
    if (interpInfo && interpFile) {
      const span = loadSpan(interpInfo);
      const at = mem.findFree(span.hi - span.lo);
      if (at < 0) throw new ElfError('no room for the interpreter');
      const ib = at - span.lo;
      const li = await loadSegments(mem, interpInfo, interpFile.read, ib, interpFile.path, interpFile.stat?.ino, interpFile.stat?.dev);
      entry = li.entry;
      base = ib + span.lo;
    }
    const cpu = new Cpu(mem);
    const sp = buildStack(t, mem, {
      argv, envp, execfn, phdr: main.phdrAddr, phnum: info.phnum, entry: main.entry, base,
      execStack: main.execStack,
    });
    const s = cpu.s;
    s[ESP] = sp;
    s[EIP] = entry;
    s[FLAGS] = FLAGS_FIXED;
    loadFlatUser(cpu);
    return { mem, cpu, path: file.path, argv };
  } catch (e) {
    if (e instanceof ElfError) {
      diag?.(`${file.path}: ${e.message}`);
      return -ENOEXEC;
    }
    if (e instanceof AddressSpaceFull) {
      diag?.(`${file.path}: ${e.message}`);
      return -ENOMEM;
    }
    throw e;
  }
}

/**
 * The interpreter and optional argument of a #! line, as load_script() (fs/binfmt_script.c)
 * splits it: the line ends at a newline (or the end of the buffer, if the interpreter
 * name ends within it); spaces and tabs separate and are trimmed; anything else, a
 * carriage return included, is part of the name or argument (so a CRLF script asks for
 * "/bin/sh\r" and fails with ENOENT, as on Linux). Null for an empty or overlong line.
 */
export function parseShebang(buf: Uint8Array): { interp: string; arg: string | null } | null {
  const sp = (c: number) => c === 0x20 || c === 0x09;
  let end = buf.indexOf(10);
  if (end < 0) {
    // No newline: the interpreter name must end (space, tab or NUL) within the buffer.
    let i = 2;
    while (i < buf.length && sp(buf[i])) i++;
    if (i >= buf.length) return null;
    while (i < buf.length && !sp(buf[i]) && buf[i] !== 0) i++;
    if (i >= buf.length) return null;
    end = buf.length;
  }
  let a = 2, b = end;
  while (a < b && sp(buf[a])) a++;
  while (b > a && (sp(buf[b - 1]) || buf[b - 1] === 0)) b--;
  if (a === b) return null;
  let i = a;
  while (i < b && !sp(buf[i]) && buf[i] !== 0) i++;
  const dec = new TextDecoder();
  const interp = dec.decode(buf.subarray(a, i));
  while (i < b && sp(buf[i])) i++;
  // The argument runs to the end of the line; a NUL inside cuts it (it is a C string).
  let argEnd = buf.indexOf(0, i);
  if (argEnd < 0 || argEnd > b) argEnd = b;
  return { interp, arg: i < argEnd ? dec.decode(buf.subarray(i, argEnd)) : null };
}

// Auxiliary vector keys (elf.h / auxvec.h).
const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8;
const AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16;
const AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51;

interface StackArgs {
  argv: string[]; envp: string[]; execfn: string;
  phdr: number; phnum: number; entry: number; base: number; execStack: boolean;
}

function buildStack(t: Task, mem: AddressSpace, a: StackArgs): number {
  const top = mem.stackTop;
  const prot = 3 | (a.execStack ? 4 : 0);
  mem.map(top - STACK_INITIAL, STACK_INITIAL, prot, MAP_PRIVATE | MAP_GROWSDOWN, '[stack]');
  const enc = new TextEncoder();
  let sp = top - 4; // a NULL word at the very top, as Linux leaves
  const pushStr = (s: string): number => {
    const b = enc.encode(s);
    sp -= b.length + 1;
    mem.u8.set(b, sp);
    mem.u8[sp + b.length] = 0;
    return sp;
  };
  const execfnAddr = pushStr(a.execfn);
  // Linux copies the last string first, so each array reads upwards in memory; envp sits above argv.
  const envAddrs = [...a.envp].reverse().map(pushStr).reverse();
  const argAddrs = [...a.argv].reverse().map(pushStr).reverse();
  const platform = pushStr('i686');
  sp = ((sp - 16) & ~15) >>> 0;
  const random = sp;
  crypto.getRandomValues(mem.u8.subarray(random, random + 16));
  const c = t.proc.creds;
  const aux: [number, number][] = [
    [AT_HWCAP, FEATURES_EDX], [AT_PAGESZ, PAGE_SIZE], [AT_CLKTCK, 100], [AT_PHDR, a.phdr], [AT_PHENT, 32],
    [AT_PHNUM, a.phnum], [AT_BASE, a.base], [AT_FLAGS, 0], [AT_ENTRY, a.entry], [AT_UID, c.uid], [AT_EUID, c.euid],
    [AT_GID, c.gid], [AT_EGID, c.egid], [AT_SECURE, 0], [AT_RANDOM, random], [AT_HWCAP2, 0],
    [AT_EXECFN, execfnAddr], [AT_PLATFORM, platform], [AT_MINSIGSTKSZ, 2048], [AT_NULL, 0],
  ];
  const words = 1 + argAddrs.length + 1 + envAddrs.length + 1 + aux.length * 2;
  sp = ((sp - words * 4) & ~15) >>> 0;
  const dv = mem.dv;
  let p = sp;
  const put = (v: number) => { dv.setUint32(p, v >>> 0, true); p += 4; };
  put(argAddrs.length);
  argAddrs.forEach(put); put(0);
  envAddrs.forEach(put); put(0);
  for (const [k, v] of aux) { put(k); put(v); }
  return sp;
}
