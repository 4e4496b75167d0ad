/**
 * Thrown by a misaligned access while EFLAGS.AC is set (#AC); becomes the guest's SIGBUS
 * with BUS_ADRALN, as Linux's exc_alignment_check() sends it.
 */
export class AlignmentFault {
  constructor(readonly addr: number) {}
}

/** Thrown by guest memory accesses that the page table refuses; becomes the guest's SIGSEGV. */
export class PageFault {
  constructor(
    /** The faulting guest address. */
    readonly addr: number,
    /** True if the page is mapped but the access violates its protection (SEGV_ACCERR). */
    readonly accerr: boolean,
    readonly write: boolean,
    /** An instruction fetch (page-fault error code bit 4, I/D). */
    readonly fetch = false,
  ) {}
}
