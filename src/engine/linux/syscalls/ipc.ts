/**
 * System V IPC: shared memory through its own calls (shmget 395, shmat 397, shmdt 398,
 * shmctl 396) and through ipc(2) (117), the multiplexer i386 glibc uses (Debian bookworm's
 * Xorg and cairo-xcb issue SHMGET/SHMAT/SHMDT/SHMCTL through it: shared/reference/kms §4.2).
 * Semaphores and message queues are not implemented (ENOSYS), as a kernel built without
 * CONFIG_SYSVIPC answers for them.
 */
import { syscallTable } from './registry.js';
import { shmat, shmctl, shmdt, shmget, IPC_64 } from '../sysv-shm.js';
import { ENOSYS, EFAULT } from '../errno.js';
import { putU32 } from '../uaccess.js';

/** ipc(2) call numbers (linux/ipc.h): the low 16 bits; the high 16 are the call's version. */
const SHMAT = 21, SHMDT = 22, SHMGET = 23, SHMCTL = 24;

export const ipcSyscalls = syscallTable({
  shmget: (t, key, size, flags) => shmget(t, key, size, flags),
  shmat: (t, id, addr, flags) => shmat(t, id, addr, flags),
  shmdt: (t, addr) => shmdt(t, addr),
  // The direct call always uses the 64-bit layouts (ksys_shmctl(..., IPC_64)); IPC_64 in cmd is then an unknown command.
  shmctl: (t, id, cmd, buf) => shmctl(t, id, cmd, buf >>> 0, true),
  /** sys_ipc: SHMAT returns the address through `third` (version 0); SHMCTL's cmd carries IPC_64 (ipc_parse_version). */
  ipc: (t, call, first, second, third, ptr) => {
    switch (call & 0xffff) {
      case SHMAT: {
        if (call >>> 16 === 1) return -EFAULT; // iBCS2 shmat: no 32-bit user can use it
        const r = shmat(t, first, ptr, second);
        if (r < 0 && r > -4096) return r;
        return putU32(t, third >>> 0, r) ? 0 : -EFAULT;
      }
      case SHMDT: return shmdt(t, ptr);
      case SHMGET: return shmget(t, first, second, third);
      case SHMCTL: return shmctl(t, first, second & ~IPC_64, ptr >>> 0, (second & IPC_64) !== 0);
    }
    return -ENOSYS;
  },
});
