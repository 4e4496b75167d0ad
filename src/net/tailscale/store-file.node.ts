/**
 * Tailscale node state in a JSON file (the CLI's --ts-state FILE), written atomically
 * (temporary file, then rename) with mode 0600: it holds private keys.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { StateStore } from './ipn.js';

export class FileStateStore implements StateStore {
  private data: Record<string, string>;
  constructor(readonly path: string) {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      this.data = v as Record<string, string>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.data = {};
      else throw new Error(`the Tailscale state file ${path} is unreadable (${(e as Error).message}); delete it to start as a new node`);
    }
  }
  async get(k: string) { return this.data[k] ?? null; }
  async set(k: string, v: string | null) {
    if (v === null) delete this.data[k]; else this.data[k] = v;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
