/**
 * `<x-terminal>`: an xterm.js terminal connected to the `<x-vm>` around it, either as the
 * VM's console or as a program of its own on a new pseudo-terminal.
 */
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import type { PtySession, TerminalSession, TerminalSink, VmHost } from './context.js';
import { VmConsumer } from './vm-consumer.js';
import { parseList } from './attributes.js';
import { DEFAULT_BACKGROUND, readLook } from './terminal-theme.js';
import { define } from './define.js';
import { emit } from './events.js';

export type { TerminalReadyDetail, TerminalExitDetail, TerminalErrorDetail } from './events.js';

/** Always set for programs started on a pty; `env` comes after, so it can override them. */
const BASE_ENV = ['TERM=xterm-256color', 'COLORTERM=truecolor'];

/** A program that exits sooner than this after starting is restarted only after this delay. */
const RESTART_BACKOFF_MS = 1000;

/**
 * A terminal for the Linux machine of the enclosing `<x-vm>`.
 *
 * Without `cmd` it becomes the VM's console (output from before it attached is replayed);
 * if another terminal already is the console it prints a one-line notice and stays idle.
 * With `cmd` it starts that program on a new pseudo-terminal.
 *
 * @summary An xterm.js terminal: the `<x-vm>`'s console, or a program on a pseudo-terminal of its own.
 * @tag x-terminal
 * @attr {boolean} autofocus - Focus the terminal when it opens (the global attribute; read once, when the terminal starts).
 * @fires {TerminalReadyEvent} terminal-ready - Attached as the console, or `cmd` started. detail: `{ kind: 'console' | 'pty' }`.
 * @fires {TerminalExitEvent} terminal-exit - `cmd` exited (after the exit line is shown). detail: `{ status }`.
 * @fires {TerminalErrorEvent} terminal-error - `cmd` could not be started (bad `args`/`env`, the VM failed to boot); the message is also shown in the terminal. detail: `{ message }`.
 *
 * @csspart terminal - The box around the character grid: padding and background.
 *
 * @cssprop [--x-terminal-background=#1e1e1e] - Background.
 * @cssprop [--x-terminal-foreground=#d4d4d4] - Text.
 * @cssprop [--x-terminal-cursor=#d4d4d4] - Cursor.
 * @cssprop [--x-terminal-cursor-accent=the background] - Character under a block cursor.
 * @cssprop [--x-terminal-selection=translucent blue] - Selection background.
 * @cssprop [--x-terminal-selection-foreground=unchanged] - Selected text.
 * @cssprop [--x-terminal-black=xterm.js's] - ANSI colour 0; likewise `-red`, `-green`, `-yellow`, `-blue`, `-magenta`, `-cyan`, `-white` (1–7) and `-bright-black` … `-bright-white` (8–15).
 * @cssprop [--x-terminal-font-family=ui-monospace, …, monospace] - Font. Use a monospace font that is already loaded.
 * @cssprop [--x-terminal-font-size=14px] - Font size (a length in px, e.g. `15px`).
 * @cssprop [--x-terminal-padding=6px 8px] - Space around the grid.
 * @cssprop [--x-terminal-height=24rem] - Height when `rows` is not set (or set `height` on the element).
 * @cssprop [--x-terminal-border-radius=4px] - Corners.
 * @cssprop [--x-terminal-focus-ring=2px solid #4c8dff] - Outline while focused; `none` hides it.
 */
export class XTerminal extends LitElement {
  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static override styles = [
    unsafeCSS(xtermCss),
    css`
      :host {
        display: block;
        position: relative;
        box-sizing: border-box;
        height: var(--x-terminal-height, 24rem);
        min-height: 2rem;
        overflow: hidden;
        border-radius: var(--x-terminal-border-radius, 4px);
        background: var(--x-terminal-background, ${unsafeCSS(DEFAULT_BACKGROUND)});
        -webkit-tap-highlight-color: transparent;
      }
      :host([rows]) {
        height: auto;
      }
      :host([hidden]) {
        display: none;
      }
      :host(:focus-within) {
        outline: var(--x-terminal-focus-ring, 2px solid #4c8dff);
        outline-offset: -2px;
      }
      .frame {
        box-sizing: border-box;
        height: 100%;
        padding: var(--x-terminal-padding, 6px 8px);
        cursor: text;
      }
      .screen {
        width: 100%;
        height: 100%;
      }
      :host([rows]) .frame,
      :host([rows]) .screen {
        height: auto;
      }
    `,
  ];

  /** Program to run on a pseudo-terminal of its own (e.g. `/bin/bash`). Without it, the terminal is the VM's console. */
  @property({ type: String }) accessor cmd: string | undefined;
  /** Arguments for `cmd`: words separated by spaces, or a JSON array of strings when it starts with `[`. */
  @property({ type: String }) accessor args: string | undefined;
  /** Working directory for `cmd` (default: the VM's). */
  @property({ type: String }) accessor cwd: string | undefined;
  /** `KEY=VALUE` entries for `cmd`, same syntax as `args`, after `TERM=xterm-256color COLORTERM=truecolor`. */
  @property({ type: String }) accessor env: string | undefined;
  /** Start `cmd` again when it exits (after a second if it exited at once). */
  @property({ type: Boolean }) accessor restart: boolean = false;
  /** Fixed number of rows (the element's height follows); without it the rows fit the height. */
  @property({ type: Number }) accessor rows: number | undefined;
  /** Fixed number of columns; without it the columns fit the width. */
  @property({ type: Number }) accessor cols: number | undefined;
  /** Font size in pixels; overrides `--x-terminal-font-size`. */
  @property({ type: Number, attribute: 'font-size' }) accessor fontSize: number | undefined;
  /** Accessible name of the terminal's input (default: the `aria-label` attribute, else "Terminal"). */
  @property({ type: String }) accessor label: string | undefined;
  /** xterm.js screen reader mode: the output is also exposed to assistive technology (it costs some speed). */
  @property({ type: Boolean, attribute: 'screen-reader' }) accessor screenReader: boolean = false;

  private readonly vmc = new VmConsumer(this, (vm, old) => this.vmChanged(vm, old));
  private term: Terminal | undefined;
  private fitAddon: FitAddon | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private themeObserver: MutationObserver | undefined;
  private session: TerminalSession | null = null;
  /** An `openTerminal` is under way. */
  private opening = false;
  /** Bumped whenever the session is closed, so late results of an old one are dropped. */
  private generation = 0;
  /** What the session was opened with (cmd, args, ...), to reopen when the attributes change; null: never opened. */
  private sessionKey: string | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last key was Escape: a Tab right after it moves focus out instead of going to the guest. */
  private escapeThenTab = false;
  /** The look last given to xterm.js (see refreshTheme). */
  private appliedLook = '';

  // ---- public API ----

  /** What the terminal shows, scrollback included: lines joined with `\n`, soft-wrapped rows joined, trailing spaces and blank lines trimmed. */
  get text(): string {
    const buffer = this.term?.buffer.active;
    if (!buffer) return '';
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      const continued = buffer.getLine(y + 1)?.isWrapped ?? false;
      const s = line.translateToString(!continued);
      if (line.isWrapped && lines.length) lines[lines.length - 1] += s;
      else lines.push(s);
    }
    const trimmed = lines.map((l) => l.trimEnd());
    while (trimmed.length && trimmed[trimmed.length - 1] === '') trimmed.pop();
    return trimmed.join('\n');
  }

  /** The xterm.js terminal, for what this element does not cover (undefined while the element is not in a document). */
  get xterm(): Terminal | undefined {
    return this.term;
  }

  /** Sends `data` to the guest as if typed. */
  input(data: string): void {
    if (this.term) this.term.input(data, true);
    else this.session?.input(data);
  }

  /** Shows `data` in the terminal without sending it to the guest (escape sequences work). */
  write(data: string | Uint8Array): void {
    this.term?.write(data);
  }

  /** Resolves once everything written so far (by the guest or `write`) is on screen and in `text`. */
  written(): Promise<void> {
    const term = this.term;
    return term ? new Promise((resolve) => term.write('', resolve)) : Promise.resolve();
  }

  /** Clears the scrollback and screen, keeping the prompt line. */
  clear(): void {
    this.term?.clear();
  }

  /** Re-reads the `--x-terminal-*` custom properties (call after changing them from script). */
  refreshTheme(): void {
    const term = this.term;
    if (!term) return;
    const look = readLook(this);
    const fontSize = this.fontSize && this.fontSize > 0 ? this.fontSize : look.fontSize;
    // Class changes on <html> are frequent on some sites; a new theme object makes xterm.js
    // repaint everything, so only apply real changes.
    const applied = JSON.stringify([look, fontSize]);
    if (applied === this.appliedLook) return;
    this.appliedLook = applied;
    term.options.theme = look.theme;
    term.options.fontFamily = look.fontFamily;
    term.options.fontSize = fontSize;
    this.fit();
  }

  override focus(options?: FocusOptions): void {
    if (this.term) this.term.focus();
    else super.focus(options);
  }

  // ---- lifecycle ----

  override render() {
    return html`<div part="terminal" class="frame" @click=${this.onFrameClick} @dragover=${preventDrop} @drop=${preventDrop}>
      <div class="screen"></div>
    </div>`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('theme-changed', this.onThemeSignal);
    colorSchemeQuery().addEventListener('change', this.onThemeSignal);
    // Themes are often switched by a class or attribute on <html>/<body> or on the element.
    this.themeObserver ??= new MutationObserver(this.onThemeSignal);
    const attributeFilter = ['class', 'style', 'theme', 'data-theme', 'data-color-scheme'];
    for (const el of [document.documentElement, document.body, this]) {
      if (el) this.themeObserver.observe(el, { attributes: true, attributeFilter });
    }
    // Re-inserted after a removal tore the terminal down: build it again.
    if (this.hasUpdated && !this.term) this.setUp();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('theme-changed', this.onThemeSignal);
    colorSchemeQuery().removeEventListener('change', this.onThemeSignal);
    this.themeObserver?.disconnect();
    // A move in the DOM is a disconnect followed at once by a connect: keep the session then.
    queueMicrotask(() => {
      if (!this.isConnected) this.tearDown();
    });
  }

  protected override firstUpdated(): void {
    this.setUp();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const term = this.term;
    if (!term) return;
    if (changed.has('fontSize')) this.refreshTheme();
    if (changed.has('rows') || changed.has('cols')) this.fit();
    if (changed.has('screenReader')) term.options.screenReaderMode = this.screenReader;
    if (changed.has('label')) this.applyLabel();
    if (this.sessionKey !== null && this.sessionKey !== this.key()) {
      this.closeSession();
      this.openSession();
    } else if (changed.has('restart') && this.restart && !this.session && !this.opening && this.cmd) {
      this.openSession();
    }
  }

  // ---- the xterm.js terminal ----

  private setUp(): void {
    const screen = this.renderRoot.querySelector<HTMLElement>('.screen');
    if (!screen || this.term) return;
    const look = readLook(this);
    this.appliedLook = '';
    const term = new Terminal({
      theme: look.theme,
      fontFamily: look.fontFamily,
      fontSize: this.fontSize && this.fontSize > 0 ? this.fontSize : look.fontSize,
      cursorBlink: true,
      scrollback: 5000,
      screenReaderMode: this.screenReader,
      cols: this.cols && this.cols > 0 ? this.cols : 80,
      rows: this.rows && this.rows > 0 ? this.rows : 24,
    });
    const fitAddon = new FitAddon();
    term.loadAddon(fitAddon);
    term.loadAddon(new WebLinksAddon(openLink));
    // (An empty paste arrives as empty data: nothing to send.)
    term.onData((data) => data && this.session?.input(data));
    // Some mouse reports are raw bytes in a string, one char per byte.
    term.onBinary((data) => this.session?.input(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    term.onResize(({ cols, rows }) => this.session?.resize(cols, rows));
    term.attachCustomKeyEventHandler((ev) => this.onKey(ev));
    term.open(screen);
    this.term = term;
    this.fitAddon = fitAddon;
    this.applyLabel();
    this.fit();
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(screen);
    // xterm.js 6 scrolls with the wheel only; phones need a finger.
    screen.addEventListener('touchstart', this.onTouchStart, { passive: true });
    screen.addEventListener('touchmove', this.onTouchMove, { passive: false });
    if (this.hasAttribute('autofocus')) term.focus();
    this.openSession();
  }

  private tearDown(): void {
    this.closeSession();
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    this.term?.dispose();
    this.term = undefined;
    this.fitAddon = undefined;
  }

  /** Fits the grid to the element (except fixed `rows`/`cols`); the session hears of it through onResize. */
  private fit(): void {
    const term = this.term;
    const screen = term?.element?.parentElement;
    if (!term || !screen) return;
    const fixedCols = this.cols && this.cols > 0 ? this.cols : 0;
    const fixedRows = this.rows && this.rows > 0 ? this.rows : 0;
    // Hidden or not laid out yet: a proposal from a zero-sized box would crush the buffer.
    const measurable = screen.clientWidth > 0 && screen.clientHeight > 0;
    const proposed = measurable ? this.fitAddon?.proposeDimensions() : undefined;
    const cols = fixedCols || proposed?.cols;
    const rows = fixedRows || proposed?.rows;
    if (!cols || !rows || !Number.isFinite(cols) || !Number.isFinite(rows)) return;
    if (cols === term.cols && rows === term.rows) return;
    if (this.isSoftKeyboardResize(cols, rows)) return;
    term.resize(cols, rows);
  }

  /**
   * On phones the page shrinks while the on-screen keyboard is up; resizing the guest for it
   * (as WebVM also avoids) would reflow the shell for every keyboard toggle.
   */
  private isSoftKeyboardResize(cols: number, rows: number): boolean {
    const term = this.term!;
    const typing = this.shadowRoot?.activeElement === term.textarea;
    return typing && cols === term.cols && rows < term.rows && matchMedia('(pointer: coarse)').matches;
  }

  private applyLabel(): void {
    this.term?.textarea?.setAttribute('aria-label', this.label || this.getAttribute('aria-label') || 'Terminal');
  }

  /** Terminal conventions on top of xterm.js's keys; false: xterm.js ignores the event. */
  private onKey(ev: KeyboardEvent): boolean {
    if (ev.type !== 'keydown') return true;
    // Shift for Shift+Tab comes between Escape and Tab.
    if (ev.key === 'Shift' || ev.key === 'Control' || ev.key === 'Alt' || ev.key === 'Meta') return true;
    const afterEscape = this.escapeThenTab;
    this.escapeThenTab = ev.key === 'Escape';
    // A way out of the terminal for keyboard users (Tab itself belongs to the shell):
    // Escape then Tab / Shift+Tab moves focus, as in CodeMirror.
    if (afterEscape && ev.key === 'Tab' && !ev.ctrlKey && !ev.altKey && !ev.metaKey) return false;
    if (ev.ctrlKey && ev.shiftKey && !ev.altKey && ev.code === 'KeyC') {
      this.copySelection();
      ev.preventDefault();
      return false;
    }
    // (Ctrl+Shift+V needs nothing: xterm.js sends no ^V for it and the browser pastes.)
    return true;
  }

  private copySelection(): void {
    const text = this.term?.getSelection();
    if (!text) return;
    // The async clipboard needs a secure context; execCommand fires a `copy` event that
    // xterm.js fills with the selection, and works everywhere else.
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).catch(() => document.execCommand('copy'));
    else document.execCommand('copy');
  }

  private readonly onFrameClick = (): void => {
    // Taps on the padding focus too (and raise the soft keyboard on phones).
    this.term?.focus();
  };

  private readonly onThemeSignal = (): void => this.refreshTheme();

  /** Where the finger was when the scrollback last moved (null: not a one-finger swipe). */
  private touchY: number | null = null;

  private readonly onTouchStart = (ev: TouchEvent): void => {
    this.touchY = ev.touches.length === 1 ? ev.touches[0].clientY : null;
  };

  /** One finger scrolls the scrollback a row at a time; at either end the page scrolls instead. */
  private readonly onTouchMove = (ev: TouchEvent): void => {
    const term = this.term;
    if (!term || this.touchY === null || ev.touches.length !== 1) return;
    const rowHeight = (term.element?.clientHeight ?? 0) / term.rows;
    if (!rowHeight) return;
    const rows = Math.trunc((ev.touches[0].clientY - this.touchY) / rowHeight);
    if (!rows) return;
    this.touchY += rows * rowHeight;
    const before = term.buffer.active.viewportY;
    term.scrollLines(-rows);
    if (term.buffer.active.viewportY !== before && ev.cancelable) ev.preventDefault();
  };

  // ---- the session with the guest ----

  private vmChanged(vm: VmHost | undefined, old: VmHost | undefined): void {
    if (old) {
      this.closeSession();
      this.sessionKey = null;
    }
    if (vm) this.openSession();
  }

  /** What the session depends on: a change reopens it. */
  private key(): string {
    return JSON.stringify([this.cmd ?? '', this.args ?? '', this.cwd ?? '', this.env ?? '']);
  }

  private openSession(): void {
    const vm = this.vmc.vm;
    const term = this.term;
    if (!vm || !term || this.session || this.opening) return;
    clearTimeout(this.restartTimer);
    const generation = ++this.generation;
    this.sessionKey = this.key();
    const sink: TerminalSink = {
      write: (bytes) => {
        if (generation === this.generation) this.term?.write(bytes);
      },
    };
    if (!this.cmd) {
      const session = vm.attachConsole(sink, term.cols, term.rows);
      if (!session) {
        this.notice('The VM console is shown in another terminal; give this one a cmd attribute to run a program here.');
        return;
      }
      this.session = session;
      emit(this, 'terminal-ready', { kind: 'console' });
      return;
    }
    let args: string[];
    let env: string[];
    try {
      args = parseList(this.args, 'args');
      env = [...BASE_ENV, ...parseList(this.env, 'env')];
    } catch (e) {
      this.startFailed((e as Error).message);
      return;
    }
    const opts = this.cwd ? { env, cwd: this.cwd } : { env };
    this.opening = true;
    const startedAt = performance.now();
    vm.openTerminal(this.cmd, args, opts, sink, term.cols, term.rows).then(
      (pty) => {
        if (generation !== this.generation) {
          pty.close();
          return;
        }
        this.opening = false;
        this.session = pty;
        // The grid may have been refitted while the program was starting.
        if (this.term && (this.term.cols !== term.cols || this.term.rows !== term.rows)) pty.resize(this.term.cols, this.term.rows);
        pty.exit.then((status) => this.exited(pty, status, startedAt));
        emit(this, 'terminal-ready', { kind: 'pty' });
      },
      (e: unknown) => {
        if (generation !== this.generation) return;
        this.opening = false;
        this.startFailed(e instanceof Error ? e.message : String(e));
      },
    );
  }

  private closeSession(): void {
    clearTimeout(this.restartTimer);
    this.generation++;
    this.opening = false;
    const session = this.session;
    this.session = null;
    session?.close();
  }

  private exited(pty: PtySession, status: number, startedAt: number): void {
    // Closed by us (removal, new attributes): nothing to report.
    if (this.session !== pty) return;
    this.session = null;
    const generation = this.generation;
    this.notice(`[process exited with status ${status}]`).then(() => {
      emit(this, 'terminal-exit', { status });
      // Restart after the notice, so it stays above the new program's output; not if the
      // terminal was closed or reopened meanwhile.
      if (!this.restart || generation !== this.generation || this.session || this.opening) return;
      const lived = performance.now() - startedAt;
      // A program that dies at once would otherwise be restarted in a tight loop.
      if (lived >= RESTART_BACKOFF_MS) this.openSession();
      else this.restartTimer = setTimeout(() => this.openSession(), RESTART_BACKOFF_MS - lived);
    });
  }

  private startFailed(message: string): void {
    this.notice(`[could not start ${this.cmd}: ${message}]`, '31');
    emit(this, 'terminal-error', { message });
  }

  /** A line of our own in the terminal, on a fresh line, dimmed (or in `sgr` colour). Resolves when shown. */
  private notice(message: string, sgr = '2'): Promise<void> {
    const term = this.term;
    if (!term) return Promise.resolve();
    return new Promise((resolve) => {
      // The cursor column is only known once the guest's pending output is parsed.
      term.write('', () => {
        const fresh = term.buffer.active.cursorX === 0 ? '' : '\r\n';
        term.write(`${fresh}\x1b[${sgr}m${message}\x1b[0m\r\n`, resolve);
      });
    });
  }

}

/** Links open in a new tab, without giving it a handle on this page. */
function openLink(_ev: MouseEvent, uri: string): void {
  window.open(uri, '_blank', 'noopener,noreferrer');
}

/** Dropping a file on the terminal must not navigate the page away from the VM. */
function preventDrop(ev: DragEvent): void {
  ev.preventDefault();
}

let schemeQuery: MediaQueryList | undefined;
function colorSchemeQuery(): MediaQueryList {
  return (schemeQuery ??= matchMedia('(prefers-color-scheme: dark)'));
}

define('x-terminal', XTerminal);

declare global {
  interface HTMLElementTagNameMap {
    'x-terminal': XTerminal;
  }
}
