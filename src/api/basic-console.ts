/**
 * CheerpX's `setConsole(element)`: a ready-made console in any element, here an xterm.js
 * terminal that fills it, follows its size and takes the keyboard when focused. Loaded
 * only when a page asks for it (the elements bring their own terminal).
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import type { Linux } from './linux.js';

function addStyles(): void {
  if (document.querySelector('style[data-webx86-console]')) return;
  const style = document.createElement('style');
  style.dataset.webx86Console = '';
  style.textContent = xtermCss;
  document.head.append(style);
}

export function mountBasicConsole(linux: Linux, element: HTMLElement): void {
  addStyles();
  element.replaceChildren();
  const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(element);
  fit.fit();
  const send = linux.setCustomConsole((buf, vt) => { if (vt === 1) term.write(buf); }, term.cols, term.rows);
  term.onData((d) => send(d));
  new ResizeObserver(() => {
    fit.fit();
    linux.resizeConsole(term.cols, term.rows);
  }).observe(element);
  term.focus();
}
