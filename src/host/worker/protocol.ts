/**
 * What the page and the engine's Web Worker say to each other. Everything here crosses a
 * postMessage boundary (through comlink), so it is plain data: device objects on the page
 * become `DeviceSpec`s, callbacks become comlink proxies.
 */
import type { JitStats } from '../../engine/jit/jit.js';
import type { RelaySpec } from '../../net/relay/worker.js';
import type { InputEvent } from '../../engine/display/display.js';

/** A block or file-level device as the worker builds it. */
export type DeviceSpec =
  /** An ext2 image streamed with HTTP byte ranges. */
  | { kind: 'http'; url: string }
  /** An image split into chunk files (`webx86 image split`); `url` is the metadata file. */
  | { kind: 'chunked'; url: string }
  /** A persistent IndexedDB database: an overlay's store, or a writable `dir` mount. */
  | { kind: 'idb'; name: string }
  /** Copy-on-write: reads from `base`, keeps writes and fetched blocks in `store` (an idb or memory spec). */
  | { kind: 'overlay'; base: DeviceSpec; store: DeviceSpec }
  /** A scratch device in the worker's memory (writes last as long as the VM). */
  | { kind: 'memory'; size: number }
  /** Files written from JavaScript (DataDevice); `files` are those written before the VM existed. */
  | { kind: 'data'; id: number; files: [path: string, data: Uint8Array][] }
  /** A read-only directory on a web server, listed by `index.list` files (WebDevice). */
  | { kind: 'web'; url: string };

export type MountType = 'ext2' | 'dir' | 'devs' | 'devpts' | 'proc' | 'sys' | 'tmpfs';

export interface MountSpec {
  type: MountType;
  path: string;
  dev?: DeviceSpec;
}

/** The environment a program gets when the page gives none (CheerpX's `env` is "KEY=VALUE" strings too). */
export const DEFAULT_ENV: readonly string[] = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'TERM=xterm-256color', 'LANG=C.UTF-8'];

export interface RunOptions {
  /** `KEY=VALUE` strings. */
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** Output sink for a terminal on the page: bytes the guest wrote, and the VT number (1: the console). */
/**
 * Output to a screen on the page. Through comlink the worker gets a promise that settles once
 * the page has handled the bytes: the worker awaits the last one before reporting an exit,
 * because a proxied callback has its own MessagePort and messages on different ports are not
 * ordered (seen: run() resolved before its program's last line reached the console).
 */
export type WriteFn = (bytes: Uint8Array, vt: number) => void | Promise<void>;

/** Events the worker reports; the page turns them into CheerpX callbacks and DOM events. */
export type EngineEvent =
  | { type: 'cpuActivity'; state: 'ready' | 'wait' }
  | { type: 'diskActivity'; state: 'ready' | 'wait' }
  | { type: 'diskLatency'; ms: number }
  /**
   * Totals over every remote device: for progress displays. `problem`: what is going wrong
   * right now (a stalled server being retried), null once a request succeeds again.
   */
  | { type: 'diskProgress'; bytes: number; requests: number; inFlight: number; cacheHits: number; cacheMisses: number; problem: string | null }
  | { type: 'diskError'; message: string }
  | { type: 'processCreated'; pid: number }
  /** Something the user should know that did not stop the machine. */
  | { type: 'warning'; message: string }
  | { type: 'log'; message: string }
  | NetworkEvent;

export type EventFn = (e: EngineEvent) => void;

/**
 * The machine's network beyond loopback. Tailscale runs in the engine's worker, next to the
 * kernel, so guest packets never cross postMessage; only these settings, the login calls and
 * the `network*` events do.
 */
export type NetworkSpec = TailscaleSpec | RelaySpec;

/** Networking without Tailscale: guest connections become streams to a `webx86 relay` (src/net/relay/worker.ts). */
export type { RelaySpec };

export interface TailscaleSpec {
  kind: 'tailscale';
  authKey?: string;
  controlUrl?: string;
  hostname?: string;
  /** Register as an ephemeral node and store no keys (a reload is a new node). */
  ephemeral?: boolean;
  /** 'auto' (default: the first online exit node), a peer's name/IP, or null (none). */
  exitNode?: string | null;
  /** IndexedDB database for the node's keys (default "webx86-tailscale"). */
  stateName?: string;
}

/** Tailscale's view, as events: CheerpX's callbacks are built on them. */
export type NetworkEvent =
  | { type: 'networkState'; state: number; message: string }
  | { type: 'networkLoginUrl'; url: string }
  /** The CheerpX-shaped netmap (src/net/tailscale/control/netmap.ts NetMapView). */
  | { type: 'networkMap'; map: unknown }
  /** Totals through the tunnel, at most every 500 ms while traffic flows. */
  | { type: 'networkActivity'; bytesIn: number; bytesOut: number };

/** How the machine is built beyond its mounts. */
export interface EngineOptions {
  /** The JIT tier on (default) or the interpreter alone (comparisons, debugging). */
  jit?: 'on' | 'off';
  /** The network beyond loopback (Tailscale or a relay); absent: loopback only. */
  network?: NetworkSpec;
  /** A display of this size (and refresh rate, Hz) from the start (its devices exist before the first program); absent: none until `attachDisplay`. */
  display?: { width: number; height: number; refresh?: number };
}

/**
 * The display's own channel (a MessagePort per attached canvas, so frames never queue
 * behind comlink calls). Worker → page: frames as dirty rectangles of XRGB8888 pixels (the
 * scanout's format; the page converts them for its canvas) in
 * transferred ArrayBuffers (no SharedArrayBuffer), at most two frames in flight: the worker
 * merges what changes meanwhile and reads the scanout when the next frame can go, so frames
 * are coalesced to the page's refresh (it answers `frameDone` from requestAnimationFrame).
 */
export type DisplayToPage =
  /** The screen is `width`x`height`; each rectangle's `data` starts with its w*h*4 bytes B,G,R,X (XRGB8888 little-endian; X is not alpha), and may be longer (a reused buffer). */
  | { type: 'frame'; width: number; height: number; rects: FrameRect[] }
  /** The cursor image as straight (not premultiplied) RGBA, or null: hidden. */
  | { type: 'cursor'; image: { width: number; height: number; hotX: number; hotY: number; rgba: ArrayBuffer } | null }
  /** The cursor's hot spot is at (x, y) in screen pixels. */
  | { type: 'cursorMove'; x: number; y: number }
  /** No scanout: the page shows its idle state. */
  | { type: 'blank' };

export interface FrameRect { x: number; y: number; w: number; h: number; data: ArrayBuffer }

/** Page → worker on the display's channel. */
export type PageToDisplay =
  /**
   * The last `frames` frames (default 1) are on screen: as many more may come. `buffers`: the
   * frames' rectangle buffers, painted and given back (transferred) for the worker to fill again.
   */
  | { type: 'frameDone'; frames?: number; buffers?: ArrayBuffer[] }
  /** The page's size for the screen changed (Display.resize: a hotplug for the DRM device). */
  | { type: 'resize'; width: number; height: number }
  /** Input for the evdev devices (Display.input): keyboard events or pointer events, one batch. */
  | { type: 'input'; device: 'keyboard' | 'pointer'; events: InputEvent[] };

/**
 * The JIT's figures for one machine (src/engine/jit/jit.ts JitStats, copied as plain data):
 * whether binaryen was loaded and how long that took, regions compiled, compile time, exits.
 */
export type { JitStats };

/** The worker's side: what `Linux` calls. Errors are thrown as Error with a readable message. */
export interface EngineApi {
  /** Build the machine from mounts. Rejects with a readable message (bad image, unreachable server). */
  create(mounts: MountSpec[], events: EventFn, options?: EngineOptions): Promise<void>;
  /** CheerpX's networkLogin(): register (auth key or login URL); progress comes as network* events. */
  networkLogin(): Promise<void>;
  /** Log the node out of the tailnet and forget it (extension). */
  networkLogout(): Promise<void>;
  /** Run a program; resolves when it exits. Its stdio is the console. */
  run(path: string, args: string[], opts: RunOptions): Promise<{ status: number }>;
  /** Where console output goes (null: buffer it until a console attaches). */
  setConsole(write: WriteFn | null, cols: number, rows: number): void;
  consoleInput(bytes: Uint8Array): void;
  consoleResize(cols: number, rows: number): void;
  /** Start `path` on a new pty; output goes to `write`; `exit` is called with the status. */
  openTerminal(path: string, args: string[], opts: RunOptions, write: WriteFn, cols: number, rows: number, exit: (status: number) => void): Promise<number>;
  terminalInput(id: number, bytes: Uint8Array): void;
  terminalResize(id: number, cols: number, rows: number): void;
  /** Hang up a pty session (SIGHUP to its processes). */
  closeTerminal(id: number): void;
  /** DataDevice.writeFile after the VM exists. */
  dataWriteFile(id: number, path: string, data: Uint8Array): Promise<void>;
  /** Read a file of a mounted device (`readFileAsBlob`); `path` relative to the device root. */
  readDeviceFile(dev: DeviceSpec, path: string): Promise<Uint8Array>;
  /** Forget an IndexedDB device's contents (the VM must not have it mounted, or it is unmounted first). */
  resetIdb(name: string): Promise<void>;
  /** The JIT's figures (a snapshot), or null when the machine runs the interpreter alone or is not created. */
  jitStats(): JitStats | null;
  /**
   * Show the machine's display through `port` (DisplayToPage out, PageToDisplay in); the
   * machine gets a display of `width`x`height` if it has none yet. A later call replaces the
   * earlier port (one screen per machine).
   */
  attachDisplay(port: MessagePort, width: number, height: number): void;
  /** Write back what the guest wrote and make it durable (the worker also writes back 100-300 ms after writes, and at shutdown). */
  sync(): Promise<void>;
  /** Stop every process, flush writes, close databases. */
  shutdown(): Promise<void>;
}

/**
 * The relay option's one check (src/net/relay/url.ts, a module without the relay backend),
 * re-exported here because the page's API may import only the protocol: `Linux.create({ relay })`
 * validates the URL before it starts a worker.
 */
export { checkRelayUrl } from '../../net/relay/url.js';

export { displayProblem } from './display-options.js';
