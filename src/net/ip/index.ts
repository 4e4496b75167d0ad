/** The user-space TCP/IP stack: the public surface. */
export { IpStack } from './stack.js';
export type { IpStackConfig, PacketLink, IfAddress } from './stack.js';
export { DEFAULT_TCP } from './tcp.js';
export type { TcpParams } from './tcp.js';
export { realClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { parse as parseAddress, format as formatAddress, parseCidr } from './addr.js';
