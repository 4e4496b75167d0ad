/**
 * ELF32 i386 executables: header checks, and mapping PT_LOAD segments into an address
 * space the way the kernel's binfmt_elf does (page-granular, file pages from the
 * segment's page-aligned offset, bss zeroed). Only the headers and the segments' bytes
 * are read from the file, in chunks of at most 1 MiB.
 */
import { AddressSpace, MAP_PRIVATE, MMAP_MIN_ADDR, PAGE_SIZE, pageUp } from '../mem/address-space.js';

export const ET_EXEC = 2, ET_DYN = 3, EM_386 = 3;
export const PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
const PF_X = 1, PF_W = 2, PF_R = 4;

export interface ProgramHeader {
  type: number; offset: number; vaddr: number; filesz: number; memsz: number; flags: number; align: number;
}
export interface ElfInfo {
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: ProgramHeader[];
  interp: string | null;
}

/** Thrown for files that are not loadable i386 ELF (becomes ENOEXEC). */
export class ElfError extends Error {}

export function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/**
 * Positional reads of the program file: bytes read into buf at `off`, or -errno. The
 * loader reads the headers and the segments' file bytes through it, never the whole file
 * (a program with a small text and a large appended archive starts as fast as any).
 */
export type ReadAt = (buf: Uint8Array, off: number) => Promise<number>;

/** Read exactly [off, off+len) (short only at end of file), or -errno. */
export async function readRange(read: ReadAt, off: number, len: number): Promise<Uint8Array | number> {
  const buf = new Uint8Array(len);
  const n = await readInto(read, buf, off);
  return n < 0 ? n : n === len ? buf : buf.subarray(0, n);
}

/** Fill buf from file offset `off` in bounded chunks: bytes read (short at end of file) or -errno. */
export async function readInto(read: ReadAt, buf: Uint8Array, off: number): Promise<number> {
  const CHUNK = 1 << 20;
  let done = 0;
  while (done < buf.length) {
    const n = await read(buf.subarray(done, Math.min(buf.length, done + CHUNK)), off + done);
    if (n < 0) return n;
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Parse the ELF header, program headers and PT_INTERP of a file of `size` bytes. */
export async function parseElf(head: Uint8Array, size: number, read: ReadAt): Promise<ElfInfo> {
  const data = head;
  if (!isElf(data)) throw new ElfError('not an ELF file');
  if (data.length < 52) throw new ElfError('truncated ELF header');
  if (data[4] !== 1) throw new ElfError(`not a 32-bit ELF (class ${data[4]})`);
  if (data[5] !== 1) throw new ElfError('not little-endian');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = dv.getUint16(16, true), machine = dv.getUint16(18, true);
  if (machine !== EM_386) throw new ElfError(`not an i386 program (e_machine ${machine})`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError(`not an executable (e_type ${type})`);
  const entry = dv.getUint32(24, true), phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  if (phentsize !== 32 || phnum === 0 || phnum > 512 || phoff + phnum * 32 > size) {
    throw new ElfError('bad program header table');
  }
  const table = phoff + phnum * 32 <= head.length ? head.subarray(phoff, phoff + phnum * 32) : await readRange(read, phoff, phnum * 32);
  if (typeof table === 'number' || table.length < phnum * 32) throw new ElfError('cannot read the program header table');
  const pv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const phdrs: ProgramHeader[] = [];
  let interp: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = i * 32;
    const ph: ProgramHeader = {
      type: pv.getUint32(o, true), offset: pv.getUint32(o + 4, true), vaddr: pv.getUint32(o + 8, true),
      filesz: pv.getUint32(o + 16, true), memsz: pv.getUint32(o + 20, true), flags: pv.getUint32(o + 24, true),
      align: pv.getUint32(o + 28, true),
    };
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz || ph.offset + ph.filesz > size) throw new ElfError('segment outside the file');
      if ((ph.vaddr - ph.offset) % PAGE_SIZE !== 0) throw new ElfError('misaligned segment');
    }
    if (ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > size || ph.filesz < 2 || ph.filesz > 4096) throw new ElfError('bad PT_INTERP');
      const bytes = await readRange(read, ph.offset, ph.filesz - 1);
      if (typeof bytes === 'number' || bytes.length < ph.filesz - 1) throw new ElfError('cannot read PT_INTERP');
      interp = new TextDecoder().decode(bytes);
    }
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new ElfError('no loadable segments');
  return { type, entry, phoff, phentsize, phnum, phdrs, interp };
}

/** Span [lo, hi) of the PT_LOAD segments, page-aligned. */
export function loadSpan(info: ElfInfo): { lo: number; hi: number } {
  let lo = Infinity, hi = 0;
  for (const p of info.phdrs) {
    if (p.type !== PT_LOAD) continue;
    lo = Math.min(lo, (p.vaddr & ~(PAGE_SIZE - 1)) >>> 0);
    hi = Math.max(hi, p.vaddr + p.memsz);
  }
  return { lo: lo >>> 0, hi: pageUp(hi) };
}

export interface Loaded {
  bias: number;
  /** End of the highest segment (brk start for the main program). */
  end: number;
  /** Address of the program headers in memory, for AT_PHDR (0 if not mapped). */
  phdrAddr: number;
  entry: number;
  execStack: boolean;
}

/**
 * Map the segments at `bias` (0 for ET_EXEC), reading each one's file bytes from the file
 * (only those: the rest of the file is never read). Throws ElfError if a segment does not
 * fit or cannot be read.
 */
export async function loadSegments(
  mem: AddressSpace, info: ElfInfo, read: ReadAt, bias: number, name: string, ino = 0, dev = 0,
): Promise<Loaded> {
  let end = 0, phdrAddr = 0, execStack = false;
  for (const p of info.phdrs) {
    if (p.type === PT_GNU_STACK) execStack = (p.flags & PF_X) !== 0;
    if (p.type === PT_PHDR) phdrAddr = (p.vaddr + bias) >>> 0;
    if (p.type !== PT_LOAD || p.memsz === 0) continue;
    const va = (p.vaddr + bias) >>> 0;
    const start = (va & ~(PAGE_SIZE - 1)) >>> 0;
    const stop = pageUp(va + p.memsz);
    if (stop > mem.size || stop < start || start < MMAP_MIN_ADDR) throw new ElfError(`segment at 0x${va.toString(16)} outside user space`);
    const prot = (p.flags & PF_R ? 1 : 0) | (p.flags & PF_W ? 2 : 0) | (p.flags & PF_X ? 4 : 0);
    const pageOff = va - start;
    const fileStart = p.offset - pageOff;
    // Pages from an earlier segment sharing this page keep their bytes: map writes zeros,
    // so copy the whole file-backed page range as the kernel's file mapping would show it.
    const prevLast = mem.findMapping(start);
    const keep = prevLast ? mem.u8.slice(start, start + PAGE_SIZE) : null;
    mem.map(start, stop - start, prot, MAP_PRIVATE, name, fileStart, dev, ino);
    if (keep) mem.u8.set(keep, start);
    const fileEnd = p.offset + p.filesz;
    // Within the last file page, bytes past filesz are zero (padzero), not file content.
    const n = await readInto(read, mem.u8.subarray(start, start + (fileEnd - fileStart)), fileStart);
    if (n < 0) throw new ElfError(`cannot read the segment at file offset 0x${fileStart.toString(16)} (error ${-n})`);
    if (p.memsz > p.filesz) {
      const bssStart = va + p.filesz;
      mem.u8.fill(0, bssStart, Math.min(pageUp(bssStart), stop));
    }
    if (!phdrAddr && info.phoff >= p.offset && info.phoff + info.phnum * 32 <= p.offset + p.filesz) {
      phdrAddr = (va + (info.phoff - p.offset)) >>> 0;
    }
    end = Math.max(end, va + p.memsz);
  }
  return { bias, end, phdrAddr, entry: (info.entry + bias) >>> 0, execStack };
}
