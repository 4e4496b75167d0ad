/** Errors inside the ext2 code; inode methods turn them into -errno (a module of its own to avoid import cycles). */

/** Damage found while reading: inode methods turn it into -EIO. */
export class Ext2CorruptError extends Error {}
/** No free block or inode: the operation answers -ENOSPC. */
export class Ext2NoSpaceError extends Error {}
