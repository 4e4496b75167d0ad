/**
 * Shared protection checks within a block (codegen.ts `groupCheck`): the memory accesses of a
 * block whose addresses are the same registers plus different constants (a stack frame's
 * `[esp+8]`, `[esp+0x1c]`, a push, a pop; a structure's fields through one base register)
 * form a group, checked once, at the start of the instruction holding its first access: the
 * pages of the range they span (one, or two when it crosses) must grant every permission any
 * of them needs. The accesses themselves then run with no check (issue 9: with every check
 * removed, the warm runs of busybox sha256sum, gzip -6 and xz -1 took 25-45% less engine
 * CPU; docs/JIT.md "Shared checks").
 *
 * Exact by construction, never by assumption about the guest:
 * - A group check that fails leaves the region before that instruction, with registers and
 *   flags as they were, and the interpreter runs the accesses with their own checks: faults
 *   stay precise (test/jit/faults.c, checks.c). Failing is rare: only a real fault, a store
 *   to a page holding code, or (only slower, still exact) a group needing a permission on both
 *   of its pages that only one of them grants (reads of a read-only page next to writes).
 * - Registers are tracked by version: any instruction that may write a register (per the
 *   table in `effects`; anything not listed writes all of them) gives it a new version, so
 *   accesses through it before and after are in different groups. Only a constant step of a
 *   register (push/pop, add/sub of an immediate, inc/dec, lea r,[r+d]) keeps its version,
 *   with the step added to the offsets of later accesses.
 * - codegen.ts checks at translation time that each access is the one planned here (same
 *   registers, offset, size and permission) and otherwise emits its own check. The plan's
 *   addresses are the registers before each instruction (its effects come after its
 *   accesses), so the group check, emitted before the first access's instruction and
 *   unconditionally, dominates every access of the group in the block.
 * - Permissions cannot change between two accesses of one block: only JS changes the page
 *   table, and the only JS a block calls in the middle (interpreter calls) ends every group
 *   (it may write any register) or leaves the region (a write to a code page).
 */
import type { Insn, MemRef, Opnd } from './region.js';
import { x87MemAccess } from './codegen-x87.js';

const ESP = 4, EBP = 5, EAX = 0, EDX = 2;
const PROT_READ = 1, PROT_WRITE = 2;
/** Widest range one group check covers (bytes): a wider group is split (a range of 512 bytes crosses a page at 1 in 8 bases). */
export const GROUP_SPAN = 512;
/** A register's constant step beyond which it gets a new version instead (keeps offsets small). */
const MAX_STEP = 0x10000;

/** An access's address: the registers (by version) and segment it is built from, and a constant. */
export interface AccAddr { key: string; off: number }

/** One planned access of a block: its address, size and permission, its group (-1: own check) and that group's range. */
export interface PlannedAcc extends AccAddr {
  size: number; want: number;
  /** The access's operand as the instruction names it (the anchor's group check computes its address from it). */
  mr: MemRef;
  g: number; anchor: boolean;
  /** For the anchor: the group's lowest address minus this access's address, its span, the permissions any access needs. */
  lo: number; span: number; wantAll: number;
}

export const stackRef = (base: number, disp: number): MemRef => ({ base, index: -1, scale: 0, disp, seg: -1 });

/** Register versions and their constant steps while walking a block. */
export class RegTrack {
  private ver = [0, 1, 2, 3, 4, 5, 6, 7];
  private dlt = [0, 0, 0, 0, 0, 0, 0, 0];
  private n = 8;

  addr(mr: MemRef): AccAddr {
    let key = `${mr.seg}`, off = mr.disp | 0;
    if (mr.base >= 0) { key += `|b${this.ver[mr.base]}`; off += this.dlt[mr.base]; }
    if (mr.index >= 0) { key += `|i${this.ver[mr.index]}s${mr.scale}`; off += this.dlt[mr.index] * (1 << mr.scale); }
    return { key, off };
  }

  private bump(r: number): void { this.ver[r] = this.n++; this.dlt[r] = 0; }
  private all(): void { for (let r = 0; r < 8; r++) this.bump(r); }
  private step(r: number, d: number): void {
    const v = this.dlt[r] + (d | 0);
    if (Math.abs(v) > MAX_STEP) this.bump(r); else this.dlt[r] = v;
  }
  /** A register operand written at `size` (8-bit numbers 4-7 are AH..BH: the register r-4; both are bumped). */
  private opnd(o: Opnd, size: number): void {
    if (o.k !== 'r') return;
    this.bump(o.r);
    if (size === 1) this.bump(o.r & 3);
  }

  /** What instruction i does to the registers (after its accesses). */
  effects(i: Insn): void {
    switch (i.op) {
      case 'nop': case 'cld': case 'std': return;
      case 'alu':
        if (i.k === 7 || i.k === 8) return;
        if (i.dst.k === 'r' && i.size === 4 && i.src.k === 'i' && (i.k === 0 || i.k === 5)) { this.step(i.dst.r, i.k === 0 ? i.src.v : -i.src.v); return; }
        this.opnd(i.dst, i.size); return;
      case 'mov': this.opnd(i.dst, i.size); return;
      case 'movx': case 'imul': case 'cmov': case 'bsf': case 'bsr': this.bump(i.dst); return;
      case 'lea':
        if (i.m.base === i.dst && i.m.index < 0) this.step(i.dst, i.m.disp); else this.bump(i.dst);
        return;
      case 'incdec':
        if (i.dst.k === 'r' && i.size === 4) this.step(i.dst.r, i.down ? -1 : 1); else this.opnd(i.dst, i.size);
        return;
      case 'not': case 'neg': case 'shift': this.opnd(i.dst, i.size); return;
      case 'shd': this.opnd(i.dst, 4); return;
      case 'bt': if (i.kind !== 0) this.opnd(i.dst, 4); return;
      case 'setcc': this.opnd(i.dst, 1); return;
      case 'push': case 'pushf': case 'call': case 'calli': this.step(ESP, -4); return;
      case 'popf': this.step(ESP, 4); return;
      case 'pop': if (i.dst === ESP) this.bump(ESP); else { this.step(ESP, 4); this.bump(i.dst); } return;
      case 'leave': this.bump(ESP); this.bump(EBP); return;
      case 'mul1': case 'div': this.bump(EAX); this.bump(EDX); return;
      case 'cdq': this.bump(EDX); return;
      case 'cwde': this.bump(EAX); return;
      case 'xchg': this.bump(i.a); this.bump(i.b); this.bump(i.a & 3); this.bump(i.b & 3); return;
      case 'xchgm': this.bump(i.r); this.bump(i.r & 3); return;
      case 'cmpxchg': this.bump(EAX); this.opnd(i.dst, 4); return;
      case 'bswap': this.bump(i.r); return;
      case 'pcthunk': this.bump(i.r); return;
      // x87 forms write no general register but fnstsw's AX (fcomi: EFLAGS only).
      case 'x87': if (i.f === 'fnstsw') this.bump(EAX); return;
    }
    // movs/stos, interpreter calls, SSE, terminators, anything added later: may write any register.
    this.all();
  }
}

type Acc = { mr: MemRef; size: number; want: number };

// The push and pop slots, and accesses() helpers at module level: closures made per
// instruction (each also named by esbuild's keepNames under tsx) were most of planBlock's time.
const PUSH_REF = stackRef(ESP, -4), TOP_REF = stackRef(ESP, 0), LEAVE_REF = stackRef(EBP, 0);
function memAcc(out: Acc[], o: Opnd, size: number, want: number): void { if (o.k === 'm') out.push({ mr: o.m, size, want }); }
function pushAcc(out: Acc[]): void { out.push({ mr: PUSH_REF, size: 4, want: PROT_WRITE }); }

/** The accesses codegen.ts checks with an address (`check` with a MemRef), in its order, for instruction i. */
function accesses(i: Insn, out: Acc[]): Acc[] {
  out.length = 0;
  const m = memAcc;
  switch (i.op) {
    case 'alu': m(out, i.dst, i.size, i.k === 7 || i.k === 8 ? PROT_READ : PROT_READ | PROT_WRITE); m(out, i.src, i.size, PROT_READ); break;
    case 'mov': if (i.dst.k === 'm') m(out, i.dst, i.size, PROT_WRITE); else m(out, i.src, i.size, PROT_READ); break;
    case 'movx': m(out, i.src, i.from, PROT_READ); break;
    case 'incdec': case 'not': case 'neg': case 'shift': m(out, i.dst, i.size, PROT_READ | PROT_WRITE); break;
    case 'shd': m(out, i.dst, 4, PROT_READ | PROT_WRITE); break;
    case 'push': m(out, i.src, 4, PROT_READ); pushAcc(out); break;
    case 'pushf': case 'call': case 'pcthunk': pushAcc(out); break;
    case 'pop': case 'popf': case 'ret': out.push({ mr: TOP_REF, size: 4, want: PROT_READ }); break;
    case 'leave': out.push({ mr: LEAVE_REF, size: 4, want: PROT_READ }); break;
    case 'imul': m(out, i.a, 4, PROT_READ); m(out, i.b, 4, PROT_READ); break;
    case 'mul1': case 'div': case 'bsf': case 'bsr': case 'cmov': case 'jmpi': m(out, i.src, 4, PROT_READ); break;
    case 'calli': m(out, i.src, 4, PROT_READ); pushAcc(out); break;
    case 'setcc': m(out, i.dst, 1, PROT_WRITE); break;
    case 'xchgm': case 'cmpxchg': m(out, i.dst, 4, PROT_READ | PROT_WRITE); break;
    // A register bit offset reaches any byte: that access keeps its own check (no MemRef given).
    case 'bt': if (!(i.dst.k === 'm' && i.bit.k === 'r')) m(out, i.dst, 4, i.kind !== 0 ? PROT_READ | PROT_WRITE : PROT_READ); break;
    case 'x87': { const a = x87MemAccess(i); if (a !== null) out.push(a); break; }
  }
  return out;
}

/**
 * The plan of a block: per instruction, its planned accesses in order, each with its group
 * (groups of one access are not groups: g = -1), and the number of groups.
 */
export function planBlock(insns: readonly Insn[]): { plan: PlannedAcc[][]; groups: number } {
  const t = new RegTrack();
  const plan: PlannedAcc[][] = [];
  // Open groups by address key: their members, lowest offset and end, and the number of their
  // first access in the block (their order: a sort by `all.indexOf(first member)` was 17% of
  // codegen's CPU on gcc's regions, bench/jit-compile-cost.ts).
  type Grp = { members: PlannedAcc[]; lo: number; hi: number; seq: number };
  const open = new Map<string, Grp>();
  const closed: Grp[] = [];
  let seq = 0;
  const accs: Acc[] = [];
  for (const i of insns) {
    const list: PlannedAcc[] = [];
    for (const a of accesses(i, accs)) {
      const ad = t.addr(a.mr);
      const p: PlannedAcc = { key: ad.key, off: ad.off, size: a.size, want: a.want, mr: a.mr, g: -1, anchor: false, lo: 0, span: 0, wantAll: 0 };
      list.push(p);
      let grp = open.get(p.key);
      if (grp !== undefined && Math.max(grp.hi, p.off + p.size) - Math.min(grp.lo, p.off) > GROUP_SPAN) { closed.push(grp); grp = undefined; }
      if (grp === undefined) { grp = { members: [], lo: p.off, hi: p.off + p.size, seq: seq++ }; open.set(p.key, grp); }
      grp.members.push(p);
      grp.lo = Math.min(grp.lo, p.off);
      grp.hi = Math.max(grp.hi, p.off + p.size);
    }
    plan.push(list);
    t.effects(i);
  }
  closed.push(...open.values());
  let groups = 0;
  // Groups numbered in program order of their first access.
  closed.sort((x, y) => x.seq - y.seq);
  for (const grp of closed) {
    if (grp.members.length < 2) continue;
    const g = groups++;
    let wantAll = 0;
    for (const p of grp.members) { p.g = g; wantAll |= p.want; }
    const a = grp.members[0];
    a.anchor = true;
    a.lo = grp.lo - a.off;
    a.span = grp.hi - grp.lo;
    a.wantAll = wantAll;
  }
  return { plan, groups };
}
