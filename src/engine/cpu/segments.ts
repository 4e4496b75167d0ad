/**
 * Segment descriptors a user program can reach: the three TLS entries of the GDT
 * (set_thread_area) and the process's LDT (modify_ldt). Selector values follow an
 * x86-64 kernel running 32-bit code, so programs see what they see natively.
 */
export const USER32_CS = 0x23, USER_DS = 0x2b;
export const GDT_ENTRY_TLS_MIN = 12, GDT_ENTRY_TLS_ENTRIES = 3;
export const LDT_ENTRIES = 8192;

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

export function isEmptyDesc(u: UserDesc): boolean {
  return u.base === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 1 &&
    u.seg32bit === 0 && u.limitInPages === 0 && u.segNotPresent === 1 && u.useable === 0;
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

/** Descriptor tables visible to one thread. */
export class Descriptors {
  tls: (UserDesc | null)[] = [null, null, null];
  /** Shared by the threads of a process. */
  ldt: { entries: (UserDesc | null)[] } = { entries: [] };

  /** Base address for a selector, or -1 if loading it would fault (#GP/#NP). */
  baseOf(sel: number): number {
    const index = sel >> 3;
    if ((sel & 3) !== 3 && sel > 3) return -1;
    if (sel <= 3) return 0; // null selector: loading is allowed, using it is not checked here
    if (sel & 4) {
      const d = this.ldt.entries[index];
      return d && !d.segNotPresent ? d.base : -1;
    }
    if (sel === USER32_CS || sel === USER_DS) return 0;
    const t = index - GDT_ENTRY_TLS_MIN;
    if (t >= 0 && t < GDT_ENTRY_TLS_ENTRIES) {
      const d = this.tls[t];
      return d && !d.segNotPresent ? d.base : -1;
    }
    return -1;
  }

  clone(shareLdt: boolean): Descriptors {
    const d = new Descriptors();
    d.tls = this.tls.map((t) => (t ? { ...t } : null));
    d.ldt = shareLdt ? this.ldt : { entries: this.ldt.entries.map((e) => (e ? { ...e } : null)) };
    return d;
  }
}
