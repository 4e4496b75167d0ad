/**
 * The one-origin HTTP server of the browser disk benchmark (bench/browser-disk.ts): the
 * benchmark page at "/", the bundle under /dist/ and the disk image at IMAGE_PATH, so the
 * engine worker fetches the image same-origin as on a real deployment. It is the project's
 * static server (Range, ETag) with two benchmark switches: only image requests are counted
 * and delayed (the page and bundle are the same for every run and are not what the table
 * measures), and everything is sent `Cache-Control: no-store` so Chromium's HTTP cache can
 * never stand in for the IndexedDB overlay in the warm run.
 */
import { mkdtempSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic, type StaticServer } from '../src/host/node/static-server.js';

export interface BenchRoutes {
  /** File answered at "/". */
  page: string;
  /** Directory answered under "/dist/". */
  dist: string;
  /** File answered at IMAGE_PATH, with Range support. */
  image: string;
}

export const IMAGE_PATH = '/images/debian.ext2';

export class BenchServer {
  /** Added before every image answer, ms. */
  latencyMs = 0;
  /** Image requests (any method) and body bytes sent since the last reset(). */
  requests = 0;
  bytes = 0;
  private server: StaticServer | null = null;
  /** Links giving the page and the image the names the routes serve them under. */
  private readonly links = mkdtempSync(join(tmpdir(), 'webx86-bench-srv-'));
  readonly imageSize: number;

  constructor(private readonly routes: BenchRoutes) {
    this.imageSize = statSync(routes.image).size;
    symlinkSync(routes.page, join(this.links, 'index.html'));
    symlinkSync(routes.image, join(this.links, 'debian.ext2'));
  }

  get url(): string { return this.server?.url ?? ''; }

  reset(latencyMs: number): void {
    this.latencyMs = latencyMs;
    this.requests = 0;
    this.bytes = 0;
  }

  async start(): Promise<void> {
    this.server = await serveStatic({
      routes: { '/': this.links, '/dist/': this.routes.dist, '/images/': this.links },
      cacheControl: 'no-store',
      delayMs: (path) => (path === IMAGE_PATH ? this.latencyMs : 0),
      onRequest: (e) => {
        if (e.path !== IMAGE_PATH) return;
        this.requests++;
        if (e.method === 'GET') this.bytes += e.bytes;
      },
    });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.links, { recursive: true, force: true });
  }
}
