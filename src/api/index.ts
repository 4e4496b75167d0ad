/** The JS API, shaped after CheerpX 1.x: port an example by changing its import line. */
export { Linux } from './linux.js';
export type { LinuxOptions, MountPointConfiguration, CallbackName, CallbackValue, DiskProgress, TerminalHandle } from './linux.js';
export { Device, BlockDevice, HttpBytesDevice, ChunkedDevice, IDBDevice, OverlayDevice, WebDevice, DataDevice } from './devices.js';
export type { RunOptions, JitStats } from '../host/worker/protocol.js';
export { KmsScreen } from './kms-screen.js';
export { KEY_CODES } from './keycodes.js';
