/** Identity, limits, system information and process attributes. */
import { defineSyscalls } from './registry.js';
import type { Task, Creds } from '../task.js';
import { getStruct, putStruct, putU32, copyIn } from '../uaccess.js';
import { EFAULT, EINVAL, EPERM, ESRCH } from '../errno.js';

export const UTS_RELEASE = '6.1.0-webx86';
export const UTS_VERSION = '#1 SMP PREEMPT_DYNAMIC webx86';

function uname(t: Task, buf: number): number {
  const k = t.kernel;
  const fields = ['Linux', k.hostname, UTS_RELEASE, UTS_VERSION, 'i686', k.domainname];
  const enc = new TextEncoder();
  return putStruct(t, buf, 65 * 6, (dv) => {
    fields.forEach((f, i) => enc.encode(f).slice(0, 64).forEach((b, j) => dv.setUint8(i * 65 + j, b)));
  }) ? 0 : -EFAULT;
}

// ---- credentials ----
const isRoot = (c: Creds) => c.euid === 0;
const KEEP = -1;

function setresuid(t: Task, r: number, e: number, s: number): number {
  const c = t.proc.creds;
  const ok = (v: number) => v === KEEP || isRoot(c) || v === c.uid || v === c.euid || v === c.suid;
  if (!ok(r) || !ok(e) || !ok(s)) return -EPERM;
  if (r !== KEEP) c.uid = r >>> 0;
  if (e !== KEEP) c.euid = e >>> 0;
  if (s !== KEEP) c.suid = s >>> 0;
  c.fsuid = c.euid;
  return 0;
}
function setresgid(t: Task, r: number, e: number, s: number): number {
  const c = t.proc.creds;
  const ok = (v: number) => v === KEEP || isRoot(c) || v === c.gid || v === c.egid || v === c.sgid;
  if (!ok(r) || !ok(e) || !ok(s)) return -EPERM;
  if (r !== KEEP) c.gid = r >>> 0;
  if (e !== KEEP) c.egid = e >>> 0;
  if (s !== KEEP) c.sgid = s >>> 0;
  c.fsgid = c.egid;
  return 0;
}
function setuid(t: Task, u: number): number {
  const c = t.proc.creds;
  if (isRoot(c)) return setresuid(t, u, u, u);
  if (u !== c.uid && u !== c.suid) return -EPERM;
  c.euid = c.fsuid = u;
  return 0;
}
function setgid(t: Task, g: number): number {
  const c = t.proc.creds;
  if (isRoot(c)) return setresgid(t, g, g, g);
  if (g !== c.gid && g !== c.sgid) return -EPERM;
  c.egid = c.fsgid = g;
  return 0;
}
function setreuid(t: Task, r: number, e: number): number {
  const c = t.proc.creds;
  const saved = r !== KEEP || (e !== KEEP && e !== c.uid) ? (e !== KEEP ? e : c.euid) : KEEP;
  return setresuid(t, r, e, saved);
}
function setregid(t: Task, r: number, e: number): number {
  const c = t.proc.creds;
  const saved = r !== KEEP || (e !== KEEP && e !== c.gid) ? (e !== KEEP ? e : c.egid) : KEEP;
  return setresgid(t, r, e, saved);
}
function getres(t: Task, a: number, b: number, c: number, vals: number[], size: number): number {
  const put = (p: number, v: number) => putStruct(t, p, size, (dv) => (size === 2 ? dv.setUint16(0, v, true) : dv.setUint32(0, v, true)));
  return put(a, vals[0]) && put(b, vals[1]) && put(c, vals[2]) ? 0 : -EFAULT;
}
function getgroups(t: Task, n: number, list: number, size: number): number {
  const g = t.proc.creds.groups;
  if (n === 0) return g.length;
  if (n < g.length) return -EINVAL;
  return putStruct(t, list, g.length * size, (dv) => g.forEach((v, i) => (size === 2 ? dv.setUint16(i * 2, v, true) : dv.setUint32(i * 4, v, true)))) ? g.length : -EFAULT;
}
function setgroups(t: Task, n: number, list: number, size: number): number {
  if (!isRoot(t.proc.creds)) return -EPERM;
  if (n < 0 || n > 65536) return -EINVAL;
  const dv = getStruct(t, list, n * size);
  if (!dv) return -EFAULT;
  t.proc.creds.groups = Array.from({ length: n }, (_, i) => (size === 2 ? dv.getUint16(i * 2, true) : dv.getUint32(i * 4, true)));
  return 0;
}
const id16 = (v: number) => (v > 0xffff ? 65534 : v);
const arg16 = (v: number) => (((v & 0xffff) === 0xffff) ? KEEP : v & 0xffff);

// ---- resource limits ----
export const RLIM_INFINITY = 0xffffffff;
const RLIMIT_NLIMITS = 16;
const DEFAULT_LIMITS: [number, number][] = [
  [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [8 << 20, RLIM_INFINITY],
  [0, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [63304, 63304], [1024, 1048576],
  [8 << 20, 8 << 20], [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [63304, 63304],
  [819200, 819200], [0, 0], [0, 0], [RLIM_INFINITY, RLIM_INFINITY],
];
export function getLimit(t: Task, r: number): [number, number] {
  return t.proc.rlimits.get(r) ?? DEFAULT_LIMITS[r];
}
function getrlimit(t: Task, r: number, p: number, clamp: boolean): number {
  if (r < 0 || r >= RLIMIT_NLIMITS) return -EINVAL;
  const [cur, max] = getLimit(t, r);
  const c = (v: number) => (clamp && v > 0x7fffffff ? 0x7fffffff : v);
  return putStruct(t, p, 8, (dv) => { dv.setUint32(0, c(cur), true); dv.setUint32(4, c(max), true); }) ? 0 : -EFAULT;
}
function setLimit(t: Task, r: number, cur: number, max: number): number {
  if (r < 0 || r >= RLIMIT_NLIMITS || cur > max) return -EINVAL;
  const [, oldMax] = getLimit(t, r);
  if (max > oldMax && !isRoot(t.proc.creds)) return -EPERM;
  t.proc.rlimits.set(r, [cur, max]);
  if (r === 7) t.proc.files.limit = Math.min(cur, 1 << 20);
  return 0;
}
function prlimit64(t: Task, pid: number, r: number, newp: number, oldp: number): number {
  const target = pid === 0 ? t.proc : t.kernel.processes.get(pid);
  if (!target) return -ESRCH;
  const tt = target.threads[0] ?? t;
  if (r < 0 || r >= RLIMIT_NLIMITS) return -EINVAL;
  const [cur, max] = getLimit(tt, r);
  if (oldp) {
    const enc = (v: number) => (v >= RLIM_INFINITY ? 0xffffffffffffffffn : BigInt(v));
    if (!putStruct(t, oldp, 16, (dv) => { dv.setBigUint64(0, enc(cur), true); dv.setBigUint64(8, enc(max), true); })) return -EFAULT;
  }
  if (newp) {
    const dv = getStruct(t, newp, 16);
    if (!dv) return -EFAULT;
    const dec = (v: bigint) => (v >= 0xffffffffn ? RLIM_INFINITY : Number(v));
    return setLimit(tt, r, dec(dv.getBigUint64(0, true)), dec(dv.getBigUint64(8, true)));
  }
  return 0;
}

// ---- prctl ----
const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8;
const PR_SET_NAME = 15, PR_GET_NAME = 16, PR_CAPBSET_READ = 23, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;
const PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_SET_VMA = 0x53564d41;
const prctlState = new WeakMap<object, { pdeathsig: number; dumpable: number; nnp: number; subreaper: number; keepcaps: number }>();

function prctl(t: Task, op: number, a: number): number {
  let st = prctlState.get(t.proc);
  if (!st) prctlState.set(t.proc, (st = { pdeathsig: 0, dumpable: 1, nnp: 0, subreaper: 0, keepcaps: 0 }));
  switch (op) {
    case PR_SET_PDEATHSIG: if (a < 0 || a > 64) return -EINVAL; st.pdeathsig = a; return 0;
    case PR_GET_PDEATHSIG: return putU32(t, a, st.pdeathsig) ? 0 : -EFAULT;
    case PR_GET_DUMPABLE: return st.dumpable;
    case PR_SET_DUMPABLE: if (a !== 0 && a !== 1) return -EINVAL; st.dumpable = a; return 0;
    // Kept for PR_GET_KEEPCAPS only: there are no capabilities to keep or drop (iputils ping sets it around capset).
    case PR_GET_KEEPCAPS: return st.keepcaps;
    case PR_SET_KEEPCAPS: if (a !== 0 && a !== 1) return -EINVAL; st.keepcaps = a; return 0;
    case PR_SET_NAME: {
      const b = copyIn(t, a, 16);
      if (!b) return -EFAULT;
      const end = b.indexOf(0);
      t.comm = new TextDecoder().decode(b.subarray(0, end < 0 ? 15 : Math.min(end, 15)));
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(16);
      out.set(new TextEncoder().encode(t.comm).slice(0, 15));
      return putStruct(t, a, 16, (dv) => out.forEach((v, i) => dv.setUint8(i, v))) ? 0 : -EFAULT;
    }
    case PR_CAPBSET_READ: return a >= 0 && a <= 40 ? 1 : -EINVAL;
    case PR_SET_CHILD_SUBREAPER: st.subreaper = a ? 1 : 0; return 0;
    case PR_GET_CHILD_SUBREAPER: return putU32(t, a, st.subreaper) ? 0 : -EFAULT;
    case PR_SET_NO_NEW_PRIVS: st.nnp = 1; return 0;
    case PR_GET_NO_NEW_PRIVS: return st.nnp;
    case PR_SET_VMA: return 0;
    default: return -EINVAL;
  }
}

function getrandom(t: Task, buf: number, len: number): number {
  const out = new Uint8Array(Math.min(len, 1 << 25));
  for (let i = 0; i < out.length; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(i + 65536, out.length)));
  return putStruct(t, buf, out.length, (dv) => new Uint8Array(dv.buffer).set(out)) ? out.length : -EFAULT;
}

function setName(t: Task, p: number, len: number, field: 'hostname' | 'domainname'): number {
  if (!isRoot(t.proc.creds)) return -EPERM;
  if (len < 0 || len > 64) return -EINVAL;
  const b = copyIn(t, p, len);
  if (!b) return -EFAULT;
  t.kernel[field] = new TextDecoder().decode(b);
  return 0;
}

function capget(t: Task, hdr: number, data: number): number {
  const h = getStruct(t, hdr, 8);
  if (!h) return -EFAULT;
  const version = h.getUint32(0, true);
  const words = version === 0x19980330 ? 1 : 2;
  if (version !== 0x19980330 && version !== 0x20071026 && version !== 0x20080522) {
    putU32(t, hdr, 0x20080522);
    return data ? -EINVAL : 0;
  }
  if (!data) return 0;
  const full = isRoot(t.proc.creds) ? 0xffffffff : 0;
  return putStruct(t, data, 12 * words, (dv) => {
    for (let i = 0; i < words; i++) {
      const v = i === 0 ? full : full & 0x1ff;
      dv.setUint32(i * 12, v, true); dv.setUint32(i * 12 + 4, v, true); dv.setUint32(i * 12 + 8, 0, true);
    }
  }) ? 0 : -EFAULT;
}

defineSyscalls({
  uname: (t, buf) => uname(t, buf >>> 0),
  olduname: (t, buf) => uname(t, buf >>> 0),
  sethostname: (t, p, l) => setName(t, p >>> 0, l, 'hostname'),
  setdomainname: (t, p, l) => setName(t, p >>> 0, l, 'domainname'),
  getuid32: (t) => t.proc.creds.uid, geteuid32: (t) => t.proc.creds.euid,
  getgid32: (t) => t.proc.creds.gid, getegid32: (t) => t.proc.creds.egid,
  getuid: (t) => id16(t.proc.creds.uid), geteuid: (t) => id16(t.proc.creds.euid),
  getgid: (t) => id16(t.proc.creds.gid), getegid: (t) => id16(t.proc.creds.egid),
  setuid32: (t, u) => setuid(t, u >>> 0), setgid32: (t, g) => setgid(t, g >>> 0),
  setuid: (t, u) => setuid(t, u & 0xffff), setgid: (t, g) => setgid(t, g & 0xffff),
  setreuid32: (t, r, e) => setreuid(t, r, e), setregid32: (t, r, e) => setregid(t, r, e),
  setreuid: (t, r, e) => setreuid(t, arg16(r), arg16(e)), setregid: (t, r, e) => setregid(t, arg16(r), arg16(e)),
  setresuid32: (t, r, e, s) => setresuid(t, r, e, s), setresgid32: (t, r, e, s) => setresgid(t, r, e, s),
  setresuid: (t, r, e, s) => setresuid(t, arg16(r), arg16(e), arg16(s)),
  setresgid: (t, r, e, s) => setresgid(t, arg16(r), arg16(e), arg16(s)),
  getresuid32: (t, a, b, c) => { const k = t.proc.creds; return getres(t, a, b, c, [k.uid, k.euid, k.suid], 4); },
  getresgid32: (t, a, b, c) => { const k = t.proc.creds; return getres(t, a, b, c, [k.gid, k.egid, k.sgid], 4); },
  getresuid: (t, a, b, c) => { const k = t.proc.creds; return getres(t, a, b, c, [k.uid, k.euid, k.suid].map(id16), 2); },
  getresgid: (t, a, b, c) => { const k = t.proc.creds; return getres(t, a, b, c, [k.gid, k.egid, k.sgid].map(id16), 2); },
  setfsuid32: (t, u) => { const c = t.proc.creds; const o = c.fsuid; if (isRoot(c)) c.fsuid = u >>> 0; return o; },
  setfsgid32: (t, g) => { const c = t.proc.creds; const o = c.fsgid; if (isRoot(c)) c.fsgid = g >>> 0; return o; },
  getgroups32: (t, n, l) => getgroups(t, n, l >>> 0, 4), setgroups32: (t, n, l) => setgroups(t, n, l >>> 0, 4),
  getgroups: (t, n, l) => getgroups(t, n, l >>> 0, 2), setgroups: (t, n, l) => setgroups(t, n, l >>> 0, 2),
  capget: (t, h, d) => capget(t, h >>> 0, d >>> 0),
  capset: (t) => (isRoot(t.proc.creds) ? 0 : -EPERM),
  getrlimit: (t, r, p) => getrlimit(t, r, p >>> 0, true),
  ugetrlimit: (t, r, p) => getrlimit(t, r, p >>> 0, false),
  setrlimit: (t, r, p) => {
    const dv = getStruct(t, p >>> 0, 8);
    return dv ? setLimit(t, r, dv.getUint32(0, true), dv.getUint32(4, true)) : -EFAULT;
  },
  prlimit64: (t, pid, r, n, o) => prlimit64(t, pid, r, n >>> 0, o >>> 0),
  personality: (t, p) => { const old = t.proc.personality; if ((p >>> 0) !== 0xffffffff) t.proc.personality = p >>> 0; return old; },
  prctl: (t, op, a) => prctl(t, op, a >>> 0),
  getrandom: (t, buf, len, flags) => (flags & ~7 ? -EINVAL : getrandom(t, buf >>> 0, len >>> 0)),
  ioperm: () => -EPERM, iopl: () => -EPERM, reboot: () => -EPERM, vhangup: () => -EPERM,
  acct: () => -EPERM, swapon: () => -EPERM, swapoff: () => -EPERM,
  umount2: () => -EPERM, mount: () => -EPERM,
});
