/**
 * Copying between guest memory and the kernel, for system calls and the ioctls of files
 * (a pipe's FIONREAD). Bad pointers give -EFAULT, never an engine exception.
 */
import { EFAULT, ENAMETOOLONG } from '../abi/errno.js';
import { PROT_READ, PROT_WRITE, type AddressSpace } from './address-space.js';

/** Whose memory: a task, or any caller of a file operation (fs/types.ts Caller). */
export interface UserMem { readonly mem: AddressSpace }

export function canRead(t: UserMem, a: number, n: number): boolean {
  return t.mem.isAccessible(a >>> 0, n, PROT_READ);
}
export function canWrite(t: UserMem, a: number, n: number): boolean {
  return t.mem.isAccessible(a >>> 0, n, PROT_WRITE);
}
/** A copy of n guest bytes, or null (EFAULT). */
export function copyIn(t: UserMem, a: number, n: number): Uint8Array | null {
  return t.mem.readBytes(a >>> 0, n);
}
/** Write bytes to the guest; false on EFAULT. */
export function copyOut(t: UserMem, a: number, data: Uint8Array): boolean {
  return t.mem.writeBytes(a >>> 0, data);
}
export function getU32(t: UserMem, a: number): number | null {
  a >>>= 0;
  return canRead(t, a, 4) ? t.mem.dv.getUint32(a, true) : null;
}
export function getI32(t: UserMem, a: number): number | null {
  a >>>= 0;
  return canRead(t, a, 4) ? t.mem.dv.getInt32(a, true) : null;
}
export function putU32(t: UserMem, a: number, v: number): boolean {
  a >>>= 0;
  if (!canWrite(t, a, 4)) return false;
  t.mem.invalidateCode(a, 4);
  t.mem.dv.setUint32(a, v >>> 0, true);
  return true;
}
/**
 * Build a structure in a scratch buffer and copy it out in one go.
 * `fill` writes little-endian fields through the DataView.
 */
export function putStruct(t: UserMem, a: number, size: number, fill: (dv: DataView) => void): boolean {
  const buf = new Uint8Array(size);
  fill(new DataView(buf.buffer));
  return copyOut(t, a, buf);
}
/** Read a structure; null on EFAULT. */
export function getStruct(t: UserMem, a: number, size: number): DataView | null {
  const b = copyIn(t, a, size);
  return b ? new DataView(b.buffer) : null;
}
/** A NUL-terminated path or string: the string, -EFAULT, or -ENAMETOOLONG. */
export function getString(t: UserMem, a: number, max = 4096): string | number {
  a >>>= 0;
  const s = t.mem.readCString(a, max);
  if (s !== null) return s;
  return canRead(t, a, 1) && t.mem.readCString(a, max + 1 << 8) !== null ? -ENAMETOOLONG : -EFAULT;
}
/** A NULL-terminated array of string pointers (argv, envp). */
export function getStringArray(t: UserMem, a: number, max = 0x20000): string[] | number {
  const out: string[] = [];
  if ((a >>> 0) === 0) return out;
  for (let i = 0; i < max; i++) {
    const p = getU32(t, a + i * 4);
    if (p === null) return -EFAULT;
    if (p === 0) return out;
    const s = getString(t, p, 131072);
    if (typeof s === 'number') return s;
    out.push(s);
  }
  return -7; // E2BIG
}
export const utf8Encode = (s: string): Uint8Array => new TextEncoder().encode(s);
