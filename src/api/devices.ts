/**
 * Devices as the page sees them, shaped after CheerpX 1.x (`HttpBytesDevice.create(url)`,
 * `IDBDevice.create(name)`, `OverlayDevice.create(base, idb)`, `DataDevice.create()`,
 * `WebDevice.create(path)`). They are descriptions: the worker opens the real block
 * devices and file systems when a `Linux` mounts them (src/host/worker/mounts.ts), so a
 * device object is cheap and can be made before the machine exists.
 */
import type { DeviceSpec } from '../host/worker/protocol.js';

/** What a mounted device needs from the machine it is mounted in. */
export interface DeviceHost {
  dataWriteFile(id: number, path: string, data: Uint8Array): Promise<void>;
  readDeviceFile(dev: DeviceSpec, path: string): Promise<Uint8Array>;
  /** False once the machine is deleted. */
  readonly alive: boolean;
}

/** URLs are resolved against the page, not the worker (whose base is the bundle's). */
function absolute(url: string): string {
  if (typeof url !== 'string' || url === '') throw new TypeError('a device needs a URL (a non-empty string)');
  return new URL(url, document.baseURI).href;
}

export abstract class Device {
  /** Machines this device is mounted in. */
  protected hosts: DeviceHost[] = [];
  /** @internal The plain-data description the worker builds the device from. */
  abstract spec(): DeviceSpec;
  /** @internal */
  attach(host: DeviceHost): void { this.hosts.push(host); }
  /** @internal */
  detach(host: DeviceHost): void { this.hosts = this.hosts.filter((h) => h !== host); }
  protected liveHost(): DeviceHost | undefined { return this.hosts.find((h) => h.alive); }
  /** Forget this device (CheerpX compatibility; a mounted device stays in use until its machine is deleted). */
  delete(): void {}
}

/** Block devices hold ext2 images (mount type "ext2"). */
export abstract class BlockDevice extends Device {}

/** An ext2 image streamed from any web server that supports HTTP Range requests. */
export class HttpBytesDevice extends BlockDevice {
  private constructor(readonly url: string) { super(); }
  static async create(url: string): Promise<HttpBytesDevice> { return new HttpBytesDevice(absolute(url)); }
  spec(): DeviceSpec { return { kind: 'http', url: this.url }; }
}

/**
 * An image split into chunk files with `webx86 image split` (for hosts that mangle Range
 * requests, such as GitHub Pages); `url` is the metadata file's.
 */
export class ChunkedDevice extends BlockDevice {
  private constructor(readonly url: string) { super(); }
  static async create(url: string): Promise<ChunkedDevice> { return new ChunkedDevice(absolute(url)); }
  spec(): DeviceSpec { return { kind: 'chunked', url: this.url }; }
}

/**
 * A persistent IndexedDB database of this page's origin: the store of an OverlayDevice,
 * or a writable directory tree when mounted with type "dir".
 */
export class IDBDevice extends Device {
  private constructor(readonly name: string) { super(); }
  static async create(name: string): Promise<IDBDevice> {
    if (typeof name !== 'string' || name === '') throw new TypeError('IDBDevice.create needs a database name');
    return new IDBDevice(name);
  }
  spec(): DeviceSpec { return { kind: 'idb', name: this.name }; }

  /** Wipe the database. A machine using it must be deleted first (its writes would come back). */
  async reset(): Promise<void> {
    if (this.liveHost()) throw new Error(`IDBDevice "${this.name}" is in use by a running Linux: call linux.delete() before reset()`);
    const { IdbBlockStore } = await import('../engine/block/idb.js');
    await IdbBlockStore.deleteDatabase(this.name);
  }

  /** A file of this device (mounted as "dir"), `path` relative to the device's root. */
  async readFileAsBlob(path: string): Promise<Blob> {
    return readBlob(this, this.liveHost(), path);
  }
}

/** Copy-on-write over a block device; writes and every downloaded block persist in `store`. */
export class OverlayDevice extends BlockDevice {
  private constructor(readonly base: BlockDevice, readonly store: IDBDevice | null) { super(); }
  static async create(base: BlockDevice, store: IDBDevice): Promise<OverlayDevice> {
    if (!(base instanceof BlockDevice)) throw new TypeError("Initialization failed for 'OverlayDevice': the base must be a block device (HttpBytesDevice, ChunkedDevice or another OverlayDevice)");
    if (!(store instanceof IDBDevice)) throw new TypeError("Initialization failed for 'OverlayDevice': the second device must be writable (an IDBDevice)");
    return new OverlayDevice(base, store);
  }
  /** An overlay whose writes live in the worker's memory (lost when the machine goes): a writable disk without persistence. */
  static inMemory(base: BlockDevice): OverlayDevice { return new OverlayDevice(base, null); }
  spec(): DeviceSpec {
    return { kind: 'overlay', base: this.base.spec(), store: this.store ? this.store.spec() : { kind: 'memory', size: 0 } };
  }
  override attach(host: DeviceHost): void { super.attach(host); this.base.attach(host); this.store?.attach(host); }
  override detach(host: DeviceHost): void { super.detach(host); this.base.detach(host); this.store?.detach(host); }
}

/** A directory of files read from the web server, relative to the page; listed by `index.list` files. */
export class WebDevice extends Device {
  private constructor(readonly url: string) { super(); }
  static async create(path: string): Promise<WebDevice> {
    const url = absolute(path);
    return new WebDevice(url.endsWith('/') ? url : url + '/');
  }
  spec(): DeviceSpec { return { kind: 'web', url: this.url }; }
}

let nextDataId = 1;

/** Files written from JavaScript, read-only for the guest (and without the execute bit, as in CheerpX). */
export class DataDevice extends Device {
  private readonly id = nextDataId++;
  private readonly files = new Map<string, Uint8Array>();
  private constructor() { super(); }
  static async create(): Promise<DataDevice> { return new DataDevice(); }
  spec(): DeviceSpec { return { kind: 'data', id: this.id, files: [...this.files] }; }

  /** Create or replace `path` (absolute within the device, e.g. "/hello.txt"). */
  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`DataDevice.writeFile wants an absolute path, got ${JSON.stringify(path)}`);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
    this.files.set(path, bytes);
    await Promise.all(this.hosts.filter((h) => h.alive).map((h) => h.dataWriteFile(this.id, path, bytes)));
  }

  async readFileAsBlob(path: string): Promise<Blob> {
    const host = this.liveHost();
    if (!host) {
      const b = this.files.get(path.startsWith('/') ? path : `/${path}`);
      if (!b) throw new Error(`${path}: no such file in this DataDevice`);
      return new Blob([b as Uint8Array<ArrayBuffer>]);
    }
    return readBlob(this, host, path);
  }
}

async function readBlob(dev: Device, host: DeviceHost | undefined, path: string): Promise<Blob> {
  if (!host) throw new Error('readFileAsBlob needs the device mounted in a running Linux');
  const bytes = await host.readDeviceFile(dev.spec(), path);
  return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}
