/**
 * Opening `--disk` for the CLI: a local image file or an http(s) URL (HttpBytesDevice, or
 * ChunkedDevice with --chunked), optionally under a local overlay file (--overlay) that
 * keeps downloaded blocks and writes across runs; download progress on stderr.
 */
import { existsSync, statSync } from 'node:fs';
import type { BlockDevice } from '../../engine/block/types.js';
import type { ActivityMeter } from '../../engine/block/activity.js';
import { HttpBytesDevice } from '../../engine/block/http.js';
import { DiskError } from '../../engine/block/remote.js';
import { ChunkedDevice } from '../../engine/block/chunked.js';
import { OverlayDevice } from '../../engine/block/overlay.js';
import { Ext2Fs, type Ext2ErrorReport } from '../../engine/fs/ext2/index.js';
import { allocAnonDev } from '../../engine/fs/tmpfs.js';
import type { FileSystem } from '../../engine/fs/types.js';
import { FileBlockStore, FileDevice } from './file-device.js';

export interface DiskOptions {
  /** Image path or http(s) URL (the metadata file's URL with `chunked`). */
  disk: string;
  overlay?: string;
  chunked?: boolean;
  /** Show download progress (default: when stderr is a terminal). */
  progress?: boolean;
  /** Mount read-write: a local image is opened for writing; a URL needs an overlay to hold the writes. */
  rw?: boolean;
}

export interface OpenedDisk {
  fs: FileSystem;
  device: BlockDevice;
  /** The last failure behind a guest's EIO, in words with what to do (null: none). */
  lastError(): string | null;
  /** From now on print each such failure on stderr as it happens (once per message). */
  reportErrors(): void;
  /** Stop progress output and make overlay writes durable. */
  close(): Promise<void>;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** Mount the disk as ext2 (read-only unless `rw`), or say in one line why not. */
export async function openDisk(o: DiskOptions): Promise<OpenedDisk | string> {
  const what = o.disk;
  let base: BlockDevice;
  if (isUrl(what)) {
    try {
      // With an overlay file from an earlier run, block 0 is local: probe with one byte.
      const probeBlock = !(o.overlay && existsSync(o.overlay));
      base = o.chunked ? await ChunkedDevice.create(what) : await HttpBytesDevice.create(what, { probeBlock });
    } catch (e) {
      const m = (e as Error).message;
      const advice = e instanceof DiskError ? ` (${e.advice})` : '';
      return `${m.startsWith(what) ? m : `${what}: ${m}`}${advice}`;
    }
  } else {
    if (o.chunked) return '--chunked wants an http(s) URL of the metadata file';
    if (!existsSync(what)) return `${what}: no such image file`;
    if (!statSync(what).isFile()) return `${what}: not a regular file`;
    // With an overlay the writes go there and the image itself stays untouched.
    base = new FileDevice(what, { writable: !!o.rw && !o.overlay });
  }
  let device: BlockDevice = base;
  let store: FileBlockStore | undefined;
  if (o.overlay) {
    try {
      store = FileBlockStore.open(o.overlay, base.size, base.blockSize ?? 64 * 1024);
      device = await OverlayDevice.create(base, store);
    } catch (e) {
      store?.close();
      return `${o.overlay}: ${(e as Error).message}`;
    }
  }
  const stopProgress = base.activity ? showProgress(base.activity, o.progress ?? process.stderr.isTTY === true, process.stderr.isTTY === true) : () => {};
  let fs: Ext2Fs | undefined;
  const close = async () => {
    stopProgress();
    // Write back and mark clean first, then make the device durable.
    await fs?.unmount();
    await device.flush?.();
    store?.close();
  };
  try {
    fs = await Ext2Fs.mount(device, allocAnonDev(), { writable: o.rw });
  } catch (e) {
    await close();
    return `${what}: cannot mount as ext2: ${(e as Error).message}`;
  }
  if (o.rw && fs.readOnly) {
    let why = fs.roReason ?? 'read-only';
    await close();
    // With an overlay the file system lives in both files; e2fsck cannot read the overlay.
    if (o.overlay) {
      why = why.replace('(run e2fsck)', `(run webx86 fsck --disk ${what} --overlay ${o.overlay} -y)`);
      return `${o.overlay} over ${what}: cannot mount read-write: ${why}`;
    }
    return `${what}: cannot mount read-write: ${why}${why.includes('device') && isUrl(what) ? ' (add --overlay FILE to keep writes)' : ''}`;
  }
  const mounted = fs;
  const printed = new Set<string>();
  const say = (r: Ext2ErrorReport) => `${r.message} (${r.advice})`;
  return {
    fs, device, close,
    lastError: () => (mounted.lastError ? say(mounted.lastError) : null),
    reportErrors: () => {
      mounted.onError = (r) => {
        const line = say(r);
        if (printed.has(line) || printed.size > 100) return;
        printed.add(line);
        process.stderr.write(`webx86: ${line}\n`);
      };
    },
  };
}

const mib = (n: number) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 2 : 1)} MiB`;

/**
 * Errors and retries always go to stderr (errors once); progress only when asked: a line redrawn in place on a
 * terminal, a line a second otherwise, and a summary at the end.
 */
function showProgress(meter: ActivityMeter, enabled: boolean, tty: boolean): () => void {
  let last = 0, shown = false, dirty = false;
  const line = () => {
    const s = meter.stats;
    return `disk: ${mib(s.bytesFetched)} in ${s.requests} requests, ${s.inFlight} in flight${s.retries ? `, ${s.retries} retries` : ''}, ${Math.round(s.meanLatencyMs)} ms/request, cache hits ${(meter.hitRate * 100).toFixed(0)}%`;
  };
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < (tty ? 100 : 1000)) { dirty = true; return; }
    last = now;
    dirty = false;
    if (tty) { process.stderr.write(`\r\x1b[K${line()}`); shown = true; } else process.stderr.write(`webx86: ${line()}\n`);
  };
  const off = meter.on((e) => {
    if (e.type === 'error') {
      if (shown) process.stderr.write('\r\x1b[K');
      process.stderr.write(`webx86: disk: ${e.message}\n`);
      return;
    }
    if (e.type === 'retry') {
      // A stall or a failure being retried: said even without --progress, it explains a pause.
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
      process.stderr.write(`webx86: disk: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt + 1})\n`);
      return;
    }
    if (!enabled) return;
    // On a terminal the line shows only while downloads run, so it never sits over output.
    if (e.type === 'state' && e.state === 'ready' && tty) { if (shown) process.stderr.write('\r\x1b[K'); shown = false; dirty = false; return; }
    if (e.type !== 'state') draw();
  });
  return () => {
    off();
    if (!enabled) return;
    if (tty) { if (shown) process.stderr.write('\r\x1b[K'); } else if (dirty || meter.stats.requests > 0) process.stderr.write(`webx86: ${line()}\n`);
  };
}
