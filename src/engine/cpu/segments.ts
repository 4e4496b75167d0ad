/**
 * Segment descriptors a user program can reach, and the descriptor tables it sees: the
 * GDT of an x86-64 Linux kernel running 32-bit code (its fixed user entries, the three
 * TLS entries of set_thread_area and the per-CPU entry), and the process's LDT
 * (modify_ldt). Selector values and descriptor bits are those a 32-bit program observes
 * natively on a 64-bit kernel (arch/x86/include/asm/segment.h; checked with lar/lsl on
 * this machine: test/cpu/int/segments.c).
 *
 * Descriptors are kept in the hardware's 8-byte form as two 32-bit words, lo and hi
 * (Intel SDM Vol. 3A 3.4.5 "Segment Descriptors"), because modify_ldt(0) hands them out
 * in that form and lar/lsl read their bits.
 */
export const USER32_CS = 0x23, USER_DS = 0x2b, USER64_CS = 0x33;
export const GDT_ENTRY_TLS_MIN = 12, GDT_ENTRY_TLS_ENTRIES = 3;
/** GDT_ENTRY_CPUNODE: a data segment whose limit is (node << 12) | cpu (vgetcpu reads it with lsl). */
export const GDT_ENTRY_CPUNODE = 15;
export const GDT_ENTRIES = 16;
export const LDT_ENTRIES = 8192;
/** TSS selector a 64-bit kernel keeps in TR (GDT_ENTRY_TSS 8): what `str` shows, UMIP-emulated. */
export const TSS_SELECTOR = 0x40;
/** LDTR while the process has an LDT (GDT_ENTRY_LDT 10; 0 without one): what `sldt` shows. */
export const LDT_SELECTOR = 0x50;

// Descriptor bits in the high word (SDM Vol. 3A Figure 3-8).
export const D_ACCESSED = 1 << 8;
/** Code: readable; data: writable. */
export const D_RW = 1 << 9;
/** Code: conforming; data: expand-down. */
export const D_CE = 1 << 10;
export const D_CODE = 1 << 11;
/** 1 for code/data, 0 for a system descriptor. */
export const D_S = 1 << 12;
export const D_DPL_SHIFT = 13;
export const D_P = 1 << 15;
export const D_AVL = 1 << 20;
export const D_L = 1 << 21;
/** D (code: 32-bit default size) / B (stack: ESP; expand-down data: 4 GiB upper bound). */
export const D_DB = 1 << 22;
export const D_G = 1 << 23;

/**
 * The fixed GDT entries of a 64-bit kernel (GDT_ENTRY_INIT in arch/x86/kernel/cpu/common.c),
 * as [lo, hi] with the accessed bit set as the CPU leaves it once loaded; the rest are
 * null or system descriptors with DPL 0 (TSS, LDT), which user code cannot read.
 */
const GDT_FIXED: Record<number, [number, number]> = {
  1: [0x0000ffff, 0x00cf9b00], // KERNEL32_CS
  2: [0x0000ffff, 0x00af9b00], // KERNEL_CS (64-bit)
  3: [0x0000ffff, 0x00cf9300], // KERNEL_DS
  4: [0x0000ffff, 0x00cffb00], // USER32_CS (0x23)
  5: [0x0000ffff, 0x00cff300], // USER_DS (0x2b)
  6: [0x0000ffff, 0x00affb00], // USER_CS (0x33, 64-bit)
  8: [0x00000067, 0x00008b00], // TSS (busy 64-bit TSS, DPL 0; base not visible to user code)
  10: [0x00000000, 0x00008200], // LDT descriptor (DPL 0)
};

/** struct user_desc, as set_thread_area and modify_ldt take it. */
export interface UserDesc {
  entry: number;
  base: number;
  limit: number;
  seg32bit: number;
  contents: number;
  readExecOnly: number;
  limitInPages: number;
  segNotPresent: number;
  useable: number;
}

/** LDT_empty (arch/x86/include/asm/desc.h): the user_desc that clears an entry. */
export function isEmptyDesc(u: UserDesc): boolean {
  return u.base === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 1 &&
    u.seg32bit === 0 && u.limitInPages === 0 && u.segNotPresent === 1 && u.useable === 0;
}
/** LDT_zero: an all-zero user_desc, which set_thread_area also takes as "clear". */
export function isZeroDesc(u: UserDesc): boolean {
  return u.base === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 0 &&
    u.seg32bit === 0 && u.limitInPages === 0 && u.segNotPresent === 0 && u.useable === 0;
}

export function readUserDesc(dv: DataView, a: number): UserDesc {
  const f = dv.getUint32(a + 12, true);
  return {
    entry: dv.getInt32(a, true),
    base: dv.getUint32(a + 4, true),
    limit: dv.getUint32(a + 8, true),
    seg32bit: f & 1,
    contents: (f >> 1) & 3,
    readExecOnly: (f >> 3) & 1,
    limitInPages: (f >> 4) & 1,
    segNotPresent: (f >> 5) & 1,
    useable: (f >> 6) & 1,
  };
}
export function writeUserDesc(dv: DataView, a: number, u: UserDesc): void {
  dv.setInt32(a, u.entry, true);
  dv.setUint32(a + 4, u.base, true);
  dv.setUint32(a + 8, u.limit, true);
  dv.setUint32(a + 12, u.seg32bit | (u.contents << 1) | (u.readExecOnly << 3) | (u.limitInPages << 4) |
    (u.segNotPresent << 5) | (u.useable << 6), true);
}

/**
 * fill_ldt() (arch/x86/include/asm/desc.h): the descriptor of a user_desc. DPL 3, S set,
 * the accessed bit set (so the table can be mapped read-only), L never set.
 */
export function fillDesc(u: UserDesc): [number, number] {
  const base = u.base >>> 0, limit = u.limit >>> 0;
  const type = ((u.readExecOnly ^ 1) << 1) | (u.contents << 2) | 1;
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = ((base >>> 16) & 0xff) | (base & 0xff000000) | (limit & 0xf0000) | (type << 8) | D_S | (3 << D_DPL_SHIFT) |
    ((u.segNotPresent ^ 1) << 15) | (u.useable << 20) | (u.seg32bit << 22) | (u.limitInPages << 23);
  return [lo >>> 0, hi >>> 0];
}

export const descBase = (lo: number, hi: number): number => ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
/** The limit in bytes (scaled by 4 KiB with G). */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & D_G ? ((raw << 12) | 0xfff) >>> 0 : raw;
}
export const descDpl = (hi: number): number => (hi >> D_DPL_SHIFT) & 3;

/** Descriptor tables visible to one thread. */
export class Descriptors {
  tls: (UserDesc | null)[] = [null, null, null];
  /**
   * The LDT: `n` entries (mm->context.ldt->nr_entries; 0 = no LDT) as lo/hi word pairs.
   * Shared by the threads of a process (and CLONE_VM children), copied by fork.
   */
  ldt: { words: Uint32Array; n: number } = { words: new Uint32Array(0), n: 0 };
  /** The CPU number the per-CPU GDT entry reports (getcpu's answer). */
  cpu = 0;

  /**
   * The descriptor a selector names as [lo, hi], or null when the selector is beyond its
   * table's limit (the GDT's 16 entries; the LDT's entries, none without an LDT).
   */
  lookup(sel: number): [number, number] | null {
    const index = sel >> 3;
    if (sel & 4) {
      if (index >= this.ldt.n) return null;
      return [this.ldt.words[index * 2], this.ldt.words[index * 2 + 1]];
    }
    if (index >= GDT_ENTRIES) return null;
    const t = index - GDT_ENTRY_TLS_MIN;
    if (t >= 0 && t < GDT_ENTRY_TLS_ENTRIES) {
      const u = this.tls[t];
      return u && !isEmptyDesc(u) && !isZeroDesc(u) ? fillDesc(u) : [0, 0];
    }
    if (index === GDT_ENTRY_CPUNODE) return [this.cpu & 0xfff, 0x0040f500];
    return GDT_FIXED[index] ?? [0, 0];
  }

  /** Write LDT entry i (growing the table to i + 1 entries, as write_ldt does). */
  setLdt(i: number, lo: number, hi: number): void {
    const l = this.ldt;
    if (i >= l.n) {
      if ((i + 1) * 2 > l.words.length) {
        const w = new Uint32Array(Math.min(LDT_ENTRIES, Math.max(16, (i + 1) * 2)) * 2);
        w.set(l.words.subarray(0, l.n * 2));
        l.words = w;
      }
      l.n = i + 1;
    }
    l.words[i * 2] = lo; l.words[i * 2 + 1] = hi;
  }

  clone(shareLdt: boolean): Descriptors {
    const d = new Descriptors();
    d.tls = this.tls.map((t) => (t ? { ...t } : null));
    d.ldt = shareLdt ? this.ldt : { words: this.ldt.words.slice(), n: this.ldt.n };
    d.cpu = this.cpu;
    return d;
  }
}
