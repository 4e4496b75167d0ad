import { LitElement, html, css } from 'lit';
import { property } from 'lit/decorators.js';
import { BlockDevice, ChunkedDevice, HttpBytesDevice, IDBDevice, OverlayDevice, WebDevice, type Device } from '../api/devices.js';
import type { MountPointConfiguration } from '../api/linux.js';
import { define } from './define.js';
import { emit } from './events.js';

/**
 * A disk for the enclosing `<x-vm>`: an ext2 image from a web server (streamed with Range
 * requests; only the blocks the guest touches are fetched), or a directory (`type="dir"`).
 * Several disks compose the machine's mounts; the one at `path="/"` is the root.
 *
 * @summary A disk (an ext2 image or a directory) mounted in the enclosing `<x-vm>`.
 * @tag x-disk
 * @fires {DiskChangeEvent} disk-change - An attribute or `device` changed after the first render; the `<x-vm>` reboots with the new disks. detail: `null`.
 */
export class XDisk extends LitElement {
  static override styles = css`:host { display: none; }`;

  /** URL, relative to the page. `ext2`: the image (any server with HTTP Range support) or, with `chunked`, the metadata file written by `webx86 image split`. `dir`: a directory whose `index.list` files name its entries. */
  @property({ type: String, reflect: true }) accessor src: string = '';
  /** Mount point in the guest; `/` is the root. */
  @property({ type: String, reflect: true }) accessor path: string = '/';
  /** An IndexedDB database name. `ext2`: the disk becomes a copy-on-write overlay whose writes **and** downloaded blocks are kept there, so a second visit downloads nothing already read. `dir` (without `src`): a persistent writable directory tree. Without it an ext2 disk is still writable, in memory, for the life of the VM. */
  @property({ type: String, reflect: true }) accessor persist: string = '';
  /** What `src` holds: `ext2` or `dir`. */
  @property({ type: String, reflect: true }) accessor type: 'ext2' | 'dir' = 'ext2';
  /** The image is split into chunk files (`webx86 image split`, for hosts that mangle Range requests). */
  @property({ type: Boolean, reflect: true }) accessor chunked: boolean = false;
  /** A device made with the [JS API](../API.md) (a `DataDevice` the page writes files into, an `OverlayDevice` of its own, …), used instead of `src`/`persist`; the mount type follows the device (block devices mount as ext2, the others as dir). */
  @property({ attribute: false }) accessor device: Device | null = null;

  override render() { return html``; }

  protected override updated(changed: Map<string, unknown>): void {
    // The first update reports the initial attributes; the VM collects disks itself then.
    if (!this.hasUpdated || changed.size === 0) return;
    emit(this, 'disk-change', null);
  }

  /** The mount this disk describes; throws a readable Error for bad attributes. */
  async toMount(): Promise<MountPointConfiguration> {
    const where = `<x-disk path="${this.path}">`;
    if (!this.path || !this.path.startsWith('/')) throw new Error(`${where}: path must be absolute`);
    if (this.device) return { type: this.device instanceof BlockDevice ? 'ext2' : 'dir', path: this.path, dev: this.device };
    if (this.type !== 'ext2' && this.type !== 'dir') throw new Error(`${where}: type must be "ext2" or "dir", not "${this.type}"`);
    if (this.type === 'dir') {
      const dev: Device = this.persist ? await IDBDevice.create(this.persist) : await WebDevice.create(this.need(where));
      return { type: 'dir', path: this.path, dev };
    }
    const src = this.need(where);
    const base = this.chunked ? await ChunkedDevice.create(src) : await HttpBytesDevice.create(src);
    const dev = this.persist ? await OverlayDevice.create(base, await IDBDevice.create(this.persist)) : OverlayDevice.inMemory(base);
    return { type: 'ext2', path: this.path, dev };
  }

  private need(where: string): string {
    if (!this.src) throw new Error(`${where}: the src attribute is missing`);
    return this.src;
  }

  /**
   * Forget everything written to this disk (the `persist` database). The VM is stopped
   * first and started again afterwards if it autostarts.
   */
  async reset(): Promise<void> {
    if (!this.persist) return;
    const vm = this.closest('x-vm') as (Element & { stop?(): Promise<void>; start?(): Promise<void>; autostart?: boolean }) | null;
    await vm?.stop?.();
    await (await IDBDevice.create(this.persist)).reset();
    if (vm?.autostart) void vm.start?.();
  }
}

define('x-disk', XDisk);

declare global {
  interface HTMLElementTagNameMap { 'x-disk': XDisk }
}
