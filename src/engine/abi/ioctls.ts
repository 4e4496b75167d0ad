/** ioctl numbers that several kinds of file answer (asm-generic/ioctls.h, asm-generic/sockios.h). */
export const FIONREAD = 0x541b, FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;
/** Unsent bytes in a socket's queue (SIOCOUTQ = TIOCOUTQ). */
export const SIOCOUTQ = 0x5411;
