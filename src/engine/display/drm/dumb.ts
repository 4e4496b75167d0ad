/**
 * Dumb buffers (drm_mode_create_dumb): linear pixel memory a client maps with mmap(2) and
 * draws into with the CPU, then scans out through a framebuffer.
 *
 * Where the pixels live. Every address space is its own WebAssembly.Memory, so a page
 * cannot be aliased between the device and a process (see linux/shm.ts). The buffer's
 * pixels therefore live in the address space that maps it: mmap places a mapping there and
 * the device keeps a record of it; scanout (DIRTYFB, page flip, periodic refresh) reads the
 * pixels straight out of that space's memory, whether or not its process is running, so
 * the X server drawing into its own mapping costs no copy at all. The buffer's own
 * `store` holds the pixels while no mapping covers the whole buffer (before the first
 * mmap, after munmap: the mapping's bytes are copied back then, so content persists as on
 * Linux).
 *
 * These mappings stay out of shm.ts's copy-on-switch scheme on purpose (their inode number
 * is 0): a 1024x768 front buffer would otherwise be copied at every task switch.
 *
 * Limits: (1) the scanout reads the most recently made mapping that covers the whole
 * buffer; a mapping of part of a buffer reaches the scanout when it is unmapped. (2) Two
 * processes mapping the same buffer (fork, or a handle passed on) each see their own
 * copy: writes in one are not seen in the other's mapping. (3) mremap of a buffer's mapping
 * moves its bytes but detaches it from the buffer.
 */
import { PAGE_SIZE, pageUp, type AddressSpace, type Mapping } from '../../mem/address-space.js';

/** The record of one mmap of a buffer; it is also the mapping's `backing`, which tells munmap (syscalls/mm.ts) whom to tell. */
export class BoMapping {
  constructor(readonly bo: DumbBuffer, readonly mem: AddressSpace) {}
  /** What munmap's write-back asks of a backing: size 0, so it never writes through a File. */
  stat(): { size: number } { return { size: 0 }; }
  /** The mapping in its space covering `off` bytes into the buffer, if it is still there. */
  live(): Mapping | undefined {
    if (this.mem.users <= 0) return undefined;
    return this.mem.mappings.find((m) => m.backing === this);
  }
  /** munmap of [s, e) of mapping `m` (syscalls/mm.ts calls this before unmapping): keep the bytes. */
  munmapped(mem: AddressSpace, m: Mapping, s: number, e: number): void {
    if (mem !== this.mem) return; // a fork child's copy
    const at = m.offset - this.bo.offset + (s - m.start);
    const n = Math.min(e - s, this.bo.size - at);
    if (at < 0 || n <= 0) return;
    this.bo.storage().set(mem.u8.subarray(s, s + n), at);
  }
}

export class DumbBuffer {
  /** Pixels while no whole-buffer mapping holds them (allocated on first use, zeroed as Linux's shmem pages). */
  private store: Uint8Array | null = null;
  private maps: BoMapping[] = [];
  /** Handles (in any file) and framebuffers referring to it; freed at zero. */
  refs = 0;

  constructor(
    readonly width: number, readonly height: number, readonly bpp: number,
    readonly pitch: number, readonly size: number, /** The fake mmap offset (MAP_DUMB), page aligned, unique in the device. */ readonly offset: number,
  ) {}

  storage(): Uint8Array {
    this.store ??= new Uint8Array(this.size);
    return this.store;
  }

  /** The newest whole-buffer mapping still mapped, pruning dead records. */
  private current(): { mem: AddressSpace; start: number } | null {
    for (let i = this.maps.length - 1; i >= 0; i--) {
      const r = this.maps[i];
      const m = r.live();
      if (!m) { this.maps.splice(i, 1); continue; }
      if (m.offset === this.offset && m.end - m.start >= this.size) return { mem: r.mem, start: m.start };
    }
    return null;
  }

  /** The buffer's bytes as they are now: a view of the mapping's memory, or of the store. Valid until the guest runs again. */
  pixels(): Uint8Array {
    const c = this.current();
    return c ? c.mem.u8.subarray(c.start, c.start + this.size) : this.storage();
  }

  /**
   * mmap: map `len` bytes from `off` (bytes into the buffer) at `at` in `mem`, filled with
   * the buffer's current content. Returns the mapping record (the mapping's backing).
   */
  mapInto(mem: AddressSpace, at: number, len: number, off: number, prot: number, flags: number, name: string, dev: number): BoMapping {
    const src = this.pixels().slice(off, off + len);
    const rec = new BoMapping(this, mem);
    const m = mem.map(at, pageUp(len), prot, flags, name, this.offset + off, dev, 0);
    m.backing = rec;
    mem.u8.set(src, at);
    this.maps.push(rec);
    return rec;
  }

  /** Read `n` bytes at `off` (the cursor image). */
  read(off: number, n: number): Uint8Array {
    return this.pixels().slice(off, off + n);
  }
}

/**
 * drm_mode_create_dumb's checks and the driver's layout: a zero size or one whose 32-bit
 * arithmetic would wrap is EINVAL; pitch = width * ceil(bpp/8) rounded up to 64 bytes (the
 * alignment the stand-in device of the reference used and Xorg accepts), size = pitch *
 * height rounded up to pages.
 */
export function dumbLayout(width: number, height: number, bpp: number): { pitch: number; size: number } | null {
  if (!width || !height || !bpp) return null;
  if (bpp > 0xffffffff - 8) return null;
  const cpp = Math.ceil(bpp / 8);
  if (cpp > Math.floor(0xffffffff / width)) return null;
  const stride = cpp * width;
  if (height > Math.floor(0xffffffff / stride)) return null;
  const pitch = Math.ceil(stride / 64) * 64;
  const raw = pitch * height;
  if (raw > 0xffffffff) return null;
  const size = Math.ceil(raw / PAGE_SIZE) * PAGE_SIZE;
  if (size === 0 || size > 0xffffffff) return null;
  return { pitch, size };
}
