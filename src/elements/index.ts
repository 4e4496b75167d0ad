/** Every element; importing this module defines the tags. */
export { XVm, parseEnv } from './vm.js';
export { parseList, mergeEnv } from './attributes.js';
export { XDisk } from './disk.js';
export { XTerminal } from './terminal.js';
export { XVmStatus } from './vm-status.js';
export { XTailscaleLogin, TAILSCALE_STATES } from './tailscale-login.js';
export { XKmsDisplay } from './kms-display.js';
export { vmContext } from './context.js';
export { define } from './define.js';
export type { VmHost, VmStatus, VmPhase, TerminalSink, TerminalSession, PtySession } from './context.js';
export type * from './events.js';
