/** Control transfer, interrupts, segment registers and system-ish instructions. */
import { CpuException, EXIT_SYSCALL, type Cpu } from '../cpu.js';
import { cond, getFlags } from '../flags.js';
import { ECX, EIP, ESP, OF, EAX, EBX, EDX } from '../state.js';
import { sc } from './alu.js';
import { getRM, rmOperand, unRM } from './operand.js';
import { def } from './table.js';
import { pop16, pop32, push32, pushv, setStack, stackOffset } from './stack.js';
import { gp, ud, SIGSEGV, SIGTRAP, SI_KERNEL } from './faults.js';
import { ALU } from './alu.js';
import { fastIncDec32, fastJcc } from './fast32.js';
import { incDecMem32 } from './mem32.js';
import { JMP_ALWAYS } from '../decoder.js';
import { farIndirect } from './segment.js';
import { CPU_ID, CPUID_LEAVES, FEATURES_ECX, FEATURES_EDX } from '../identity.js';

const target = (next: number, rel: number, opsize: number) =>
  opsize === 4 ? (next + rel) >>> 0 : (next + rel) & 0xffff;

// Jcc rel8 (70-7F) / rel16/32 (0F 80-8F).
def('jcc', (d, op) => {
  const rel = op < 0x80 ? d.s8() : d.opsize === 4 ? d.s32() : d.s16();
  const t = target(d.next, rel, d.opsize), cc = op & 15;
  d.jcc = cc; d.target = t;
  return fastJcc(cc, t);
});
def('jmp', (d, op) => {
  const rel = op === 0xeb ? d.s8() : d.opsize === 4 ? d.s32() : d.s16();
  const t = target(d.next, rel, d.opsize);
  d.jcc = JMP_ALWAYS; d.target = t;
  return (c) => { c.s[EIP] = t; };
});
def('call', (d) => {
  const rel = d.opsize === 4 ? d.s32() : d.s16();
  const next = d.next, t = target(next, rel, d.opsize), size = d.opsize;
  d.target = t;
  d.followOp = size === 4 ? (c) => { push32(c, next); } : (c) => { pushv(c, next, size); };
  return (c) => { pushv(c, next, size); c.s[EIP] = t; };
});
def('ret', (d, op) => {
  const extra = op === 0xc2 ? d.u16() : 0;
  const size = d.opsize;
  if (size === 4 && extra === 0) return (c) => { c.s[EIP] = pop32(c); };
  return (c) => {
    const t = size === 4 ? pop32(c) : pop16(c);
    setStack(c, stackOffset(c) + extra);
    c.s[EIP] = t;
  };
});
// E0-E3: loopne, loope, loop, jecxz.
def('loop', (d, op) => {
  const rel = d.s8();
  const t = target(d.next, rel, d.opsize);
  const a16 = d.adsize === 2;
  const dec = (c: Cpu): number => {
    if (a16) { const v = (c.w16[ECX * 2] - 1) & 0xffff; c.w16[ECX * 2] = v; return v; }
    return --c.s[ECX];
  };
  switch (op) {
    case 0xe0: return (c) => { if (dec(c) !== 0 && !cond(c, 4)) c.s[EIP] = t; };
    case 0xe1: return (c) => { if (dec(c) !== 0 && cond(c, 4)) c.s[EIP] = t; };
    case 0xe2: return (c) => { if (dec(c) !== 0) c.s[EIP] = t; };
    default: return a16 ? (c) => { if (c.w16[ECX * 2] === 0) c.s[EIP] = t; } : (c) => { if (c.s[ECX] === 0) c.s[EIP] = t; };
  }
});

// FF: group 5 (inc, dec, call, callf, jmp, jmpf, push).
def('grp5', (d) => {
  d.modrm();
  const reg = d.reg, sz = sc(d.opsize), size = d.opsize;
  if (reg === 3 || reg === 5) return farIndirect(d, reg === 3);
  const rm = rmOperand(d);
  const get = getRM(rm, sz);
  if (reg === 0 || reg === 1) {
    if (sz === 2 && rm.p !== null) return incDecMem32(rm.p, reg === 0 ? 1 : -1);
    if (sz === 2 && rm.ea === null) return fastIncDec32(rm.reg, reg === 1);
    return unRM(rm, sz, reg === 0 ? ALU[sz].inc : ALU[sz].dec);
  }
  if (reg === 6) return (c) => pushv(c, get(c), size);
  if (reg === 4) return size === 4 ? (c) => { c.s[EIP] = get(c); } : (c) => { c.s[EIP] = get(c) & 0xffff; };
  const next = d.next;
  return (c) => { const t = get(c); pushv(c, next, size); c.s[EIP] = size === 4 ? t : t & 0xffff; };
});

// ---- Interrupts ----
def('int', (d) => {
  const n = d.u8();
  if (n === 0x80) return (c) => { c.exit = EXIT_SYSCALL; };
  // Vectors 3 (#BP) and 4 (#OF) are user gates in Linux's IDT: `int $3` traps like int3.
  if (n === 3) return () => { throw new CpuException(SIGTRAP, SI_KERNEL, 0, 3); };
  if (n === 4) return () => { throw new CpuException(SIGSEGV, SI_KERNEL, 0, 4); };
  // Any other vector is a gate user mode may not use: #GP -> SIGSEGV, error code the IDT
  // entry's selector form (vector << 3 | 2: the IDT bit), as the sigcontext shows it.
  const err = (n << 3) | 2;
  return () => { throw new CpuException(SIGSEGV, SI_KERNEL, 0, 13, err); };
});
def('int3', (d) => { // int3: SIGTRAP, EIP after the instruction
  return () => { throw new CpuException(SIGTRAP, SI_KERNEL, 0, 3); };
});
def('int1', (d) => { // int1 / icebp: #DB with no DR6 bits, which Linux reports as TRAP_BRKPT
  const next = d.next;
  return () => { throw new CpuException(SIGTRAP, 1 /* TRAP_BRKPT */, next, 1); };
});
def('into', (d) => { // into: #OF -> SIGSEGV
  return (c) => { if (getFlags(c) & OF) throw new CpuException(SIGSEGV, SI_KERNEL, 0, 4); };
});
// Privileged or I/O instructions: #GP in user mode.
def('gp', (d, op) => {
  if (op === 0xe4 || op === 0xe5 || op === 0xe6 || op === 0xe7) d.u8();
  return gp(d);
});
def('bound', (d) => { // bound: #BR -> SIGSEGV when out of range
  d.modrm();
  const sz = sc(d.opsize), reg = d.reg;
  const ea = d.ea();
  return (c) => {
    const a = ea(c);
    const v = sz === 2 ? c.s[reg] : (c.w16[reg * 2] << 16) >> 16;
    const lo = sz === 2 ? c.mem.read32(a) : (c.mem.read16(a) << 16) >> 16;
    const hi = sz === 2 ? c.mem.read32((a + 4) >>> 0) : (c.mem.read16((a + 2) >>> 0) << 16) >> 16;
    if (v < lo || v > hi) throw new CpuException(SIGSEGV, SI_KERNEL, 0, 5);
  };
});

// ---- 0F miscellany ----
def('hint nop', (d) => {
  // prefetch and hint NOPs (including endbr32 and the multi-byte 0F 1F /0 nop).
  d.modrm();
  if (!d.isReg) d.ea();
  return () => {};
});
// ud2, and syscall/sysret/sysenter/sysexit (see their rows).
def('ud', (d) => ud(d));
// mov to/from control and debug registers: ModRM names two registers whatever its mod field says.
def('gp cr', (d) => { d.modrm(); return gp(d); });
def('rdtsc', () => (c) => { // rdtsc: a nanosecond-rate counter
  const t = Math.floor(performance.now() * 1e6);
  c.s[EAX] = t % 0x100000000;
  c.s[EDX] = Math.floor(t / 0x100000000);
});
def('cpuid', () => cpuid);

const VENDOR = CPU_ID.vendor;
const BRAND = CPU_ID.brand.padEnd(48, '\0');
const str4 = (s: string, i: number) => s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
/**
 * CPUID as the model of cpu/identity.ts answers it (SDM Vol. 2 CPUID): leaf 0 the highest
 * basic leaf and the vendor, 1 the signature and FEATURES, the brand string at
 * 0x80000002-4, the rest from CPUID_LEAVES. A leaf above the highest basic or extended
 * leaf returns the highest basic leaf's data, as Intel CPUs do.
 */
function cpuid(c: Cpu): void {
  const s = c.s;
  let leaf = s[EAX] >>> 0;
  const sub = s[ECX] >>> 0;
  if (leaf >= 0x80000000 ? leaf > CPU_ID.maxExtLeaf : leaf > CPU_ID.maxLeaf) leaf = CPU_ID.maxLeaf;
  let a = 0, b = 0, cx = 0, dx = 0;
  if (leaf === 0) {
    a = CPU_ID.maxLeaf; b = str4(VENDOR, 0); dx = str4(VENDOR, 4); cx = str4(VENDOR, 8);
  } else if (leaf === 1) {
    a = (CPU_ID.family << 8) | ((CPU_ID.model & 0xf) << 4) | ((CPU_ID.model >> 4) << 16) | CPU_ID.stepping;
    b = (1 << 16) | (8 << 8); // APIC ID 0, one logical processor, CLFLUSH line 8 x 8 = 64 bytes
    dx = FEATURES_EDX;
    cx = FEATURES_ECX;
  } else if (leaf === 0x80000000) {
    a = CPU_ID.maxExtLeaf;
  } else if (leaf >= 0x80000002 && leaf <= 0x80000004) {
    const o = (leaf - 0x80000002) * 16;
    a = str4(BRAND, o); b = str4(BRAND, o + 4); cx = str4(BRAND, o + 8); dx = str4(BRAND, o + 12);
  } else {
    const rows = CPUID_LEAVES.get(leaf);
    const row = rows === undefined ? undefined : rows.length === 1 ? rows[0] : rows[sub];
    if (row !== undefined) [a, b, cx, dx] = row;
    if (leaf === 0xb) cx = (cx & ~0xff) | (sub & 0xff); // the level number echoes ECX's low byte
  }
  s[EAX] = a; s[EBX] = b; s[ECX] = cx; s[EDX] = dx;
}
void push32; void EBX; void EDX;
