/**
 * Compiled by `npm run typecheck` (tsconfig.web.json), never run: the elements' events are in
 * the global HTMLElementEventMap with their details typed. A missing entry makes `e` a plain
 * `Event` (no `detail`: an error); a detail typed `any` makes the @ts-expect-error lines unused
 * (an error too).
 */
import type { XDisk, XTerminal, XVm } from '../../src/elements/index.js';

export function listen(vm: XVm, term: XTerminal, disk: XDisk): void {
  vm.addEventListener('vm-exit', (e) => {
    const status: number = e.detail.status;
    // @ts-expect-error the exit status is a number
    const wrong: string = e.detail.status;
    void status, wrong;
  });
  vm.addEventListener('vm-ready', (e) => void e.detail.linux.run('/bin/true'));
  vm.addEventListener('vm-error', (e) => e.detail.message.toUpperCase());
  vm.addEventListener('vm-warning', (e) => e.detail.message.toUpperCase());
  vm.addEventListener('vm-status', (e) => e.detail.phase satisfies 'idle' | 'loading' | 'booting' | 'running' | 'exited' | 'error');
  vm.addEventListener('vm-activity', (e) => e.detail.cpu satisfies 'ready' | 'wait');
  term.addEventListener('terminal-ready', (e) => e.detail.kind satisfies 'console' | 'pty');
  term.addEventListener('terminal-exit', (e) => e.detail.status.toFixed());
  term.addEventListener('terminal-error', (e) => e.detail.message.toUpperCase());
  disk.addEventListener('disk-change', (e) => e.detail satisfies null);
  // Any element (the events bubble): the same types on document.
  document.body.addEventListener('vm-exit', (e) => e.detail.status.toFixed());
  // @ts-expect-error vm-exit's detail has no message
  vm.addEventListener('vm-exit', (e) => e.detail.message);
}
