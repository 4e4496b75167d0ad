/** Debian's static busybox, set up the same way natively and in the guest. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxStatic } from '../../src/host/node/debian-packages.js';
import { runGuest, runNative, type GuestResult } from './guest.js';

let cached: { bb: string; applets: string[]; nativeBin: string } | null = null;

function setup() {
  if (cached) return cached;
  const bb = busyboxStatic();
  const applets = execFileSync(bb, ['--list']).toString().trim().split('\n').filter((a) => a && a !== 'busybox');
  const nativeBin = mkdtempSync(join(tmpdir(), 'webx86-bb-'));
  for (const a of applets) if (!existsSync(join(nativeBin, a))) symlinkSync(bb, join(nativeBin, a));
  symlinkSync(bb, join(nativeBin, 'busybox'));
  cached = { bb, applets, nativeBin };
  return cached;
}

/** Run `sh -c script` under the engine; $WORK is a scratch directory. */
export async function bbGuest(script: string, stdin = ''): Promise<GuestResult> {
  const { bb, applets } = setup();
  const links = Object.fromEntries(applets.map((a) => [`/bin/${a}`, 'busybox']));
  return runGuest(['/bin/sh', '-c', script], {
    files: { '/bin/busybox': bb }, links, stdin,
    env: ['PATH=/bin', 'HOME=/', 'WORK=/tmp/work', 'LC_ALL=C', 'TZ=UTC'],
    cwd: '/',
  });
}

/** Run the same script natively with the same busybox. */
export function bbNative(script: string, stdin = ''): GuestResult {
  const { nativeBin } = setup();
  const work = mkdtempSync(join(tmpdir(), 'webx86-work-'));
  mkdirSync(work, { recursive: true });
  const r = runNative([join(nativeBin, 'sh'), '-c', script.replaceAll('/tmp/work', work)], {
    stdin, cwd: '/', env: { PATH: nativeBin, HOME: '/', WORK: work, LC_ALL: 'C', TZ: 'UTC' },
  });
  // The guest's scratch directory is /tmp/work; report the native one under that name.
  return { ...r, stdout: r.stdout.replaceAll(work, '/tmp/work') };
}
