/** Thrown by guest memory accesses that the page table refuses; becomes the guest's SIGSEGV. */
export class PageFault {
  constructor(
    /** The faulting guest address. */
    readonly addr: number,
    /** True if the page is mapped but the access violates its protection (SEGV_ACCERR). */
    readonly accerr: boolean,
    readonly write: boolean,
  ) {}
}
