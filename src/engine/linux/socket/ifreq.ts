/**
 * The interface ioctls every socket answers (netdevice(7): SIOCGIFCONF, SIOCGIFFLAGS,
 * SIOCGIFADDR...), from the machine's interfaces. Linux serves them for any socket
 * family (sock_ioctl → dev_ioctl): glibc's if_nametoindex asks an AF_UNIX socket.
 * struct ifreq on i386 is a 16-byte name and a 16-byte union; struct ifconf {int len; ptr}.
 */
import type { Task } from '../task.js';
import { EADDRNOTAVAIL, EFAULT, ENODEV, ENOTTY } from '../errno.js';
import { copyIn, copyOut, putU32 } from '../uaccess.js';
import { AF_INET } from '../../net/addr.js';
import type { NetInterface } from '../../net/stack.js';

const SIOCGIFNAME = 0x8910, SIOCGIFCONF = 0x8912, SIOCGIFFLAGS = 0x8913, SIOCGIFADDR = 0x8915, SIOCGIFDSTADDR = 0x8917;
const SIOCGIFBRDADDR = 0x8919, SIOCGIFNETMASK = 0x891b, SIOCGIFMETRIC = 0x891d, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927;
const SIOCGIFINDEX = 0x8933, SIOCGIFTXQLEN = 0x8942;
/** ARPHRD_* for SIOCGIFHWADDR (linux/if_arp.h). */
const ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772, ARPHRD_NONE = 0xfffe;
const IFF_LOOPBACK = 0x8, IFF_POINTOPOINT = 0x10;
/** sizeof(struct ifreq) on i386: a 16-byte name and a 16-byte union. */
const IFREQ = 32, IFNAMSIZ = 16;

/** The interface ioctls (SIOCGIF*, netdevice(7)) answered from the machine's interfaces. */
export function ifIoctl(t: Task, ifs: NetInterface[], req: number, arg: number): number {
  if (req === SIOCGIFCONF) {
    const dv0 = copyIn(t, arg, 8);
    if (!dv0) return -EFAULT;
    const hdr = new DataView(dv0.buffer);
    const len = hdr.getInt32(0, true), buf = hdr.getUint32(4, true);
    // One entry per interface with an IPv4 address (inet_gifconf), as far as the buffer holds whole entries.
    const entries: Uint8Array[] = [];
    for (const i of ifs) {
      for (const a of i.addresses) {
        if (a.family !== AF_INET) continue;
        const e = new Uint8Array(IFREQ);
        e.set(new TextEncoder().encode(i.name).subarray(0, IFNAMSIZ - 1));
        e.set(sockaddrIn(a.addr), IFNAMSIZ);
        entries.push(e);
      }
    }
    if (!buf) return putU32(t, arg, entries.length * IFREQ) ? 0 : -EFAULT;
    let n = 0;
    for (const e of entries) {
      if ((n + 1) * IFREQ > len) break;
      if (!copyOut(t, buf + n * IFREQ, e)) return -EFAULT;
      n++;
    }
    return putU32(t, arg, n * IFREQ) ? 0 : -EFAULT;
  }
  const known = [SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN];
  if (!known.includes(req)) return -ENOTTY;
  const req32 = copyIn(t, arg, IFREQ);
  if (!req32) return -EFAULT;
  const dv = new DataView(req32.buffer);
  let i: NetInterface | undefined;
  if (req === SIOCGIFNAME) {
    const idx = dv.getInt32(IFNAMSIZ, true);
    i = ifs.find((x) => x.index === idx);
    if (!i) return -ENODEV;
    req32.fill(0, 0, IFNAMSIZ);
    req32.set(new TextEncoder().encode(i.name).subarray(0, IFNAMSIZ - 1));
    return copyOut(t, arg, req32) ? 0 : -EFAULT;
  }
  const nul = req32.indexOf(0);
  const name = new TextDecoder().decode(req32.subarray(0, nul >= 0 && nul < IFNAMSIZ ? nul : IFNAMSIZ));
  i = ifs.find((x) => x.name === name);
  if (!i) return -ENODEV;
  const u = req32.subarray(IFNAMSIZ);
  u.fill(0);
  const udv = new DataView(u.buffer, u.byteOffset, 16);
  const v4 = i.addresses.find((a) => a.family === AF_INET);
  const sin = (addr: Uint8Array) => u.set(sockaddrIn(addr));
  switch (req) {
    case SIOCGIFFLAGS: udv.setUint16(0, i.flags & 0xffff, true); break;
    case SIOCGIFINDEX: udv.setInt32(0, i.index, true); break;
    case SIOCGIFMTU: udv.setInt32(0, i.mtu, true); break;
    case SIOCGIFMETRIC: udv.setInt32(0, 0, true); break;
    case SIOCGIFTXQLEN: udv.setInt32(0, i.flags & IFF_LOOPBACK ? 1000 : 500, true); break;
    case SIOCGIFHWADDR:
      udv.setUint16(0, i.flags & IFF_LOOPBACK ? ARPHRD_LOOPBACK : i.mac.length === 6 ? ARPHRD_ETHER : ARPHRD_NONE, true);
      u.set(i.mac.subarray(0, 6), 2);
      break;
    case SIOCGIFADDR: case SIOCGIFNETMASK: case SIOCGIFBRDADDR: case SIOCGIFDSTADDR: {
      if (!v4) return -EADDRNOTAVAIL;
      if (req === SIOCGIFADDR) sin(v4.addr);
      else if (req === SIOCGIFNETMASK) sin(prefixMask(v4.prefixLen));
      else if (req === SIOCGIFDSTADDR) sin(i.flags & IFF_POINTOPOINT ? v4.addr : new Uint8Array(4));
      else {
        const m = prefixMask(v4.prefixLen);
        sin(i.flags & IFF_LOOPBACK ? new Uint8Array(4) : v4.addr.map((b, k) => b | (~m[k] & 0xff)));
      }
      break;
    }
  }
  return copyOut(t, arg, req32) ? 0 : -EFAULT;
}

export function prefixMask(len: number, bytes = 4): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k++) m[k] = len >= (k + 1) * 8 ? 0xff : len <= k * 8 ? 0 : (0xff << (8 - (len - k * 8))) & 0xff;
  return m;
}

/** A struct sockaddr_in with port 0. */
function sockaddrIn(addr: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF_INET;
  b.set(addr, 4);
  return b;
}
