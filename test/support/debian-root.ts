/**
 * Running a case in an unpacked Debian root both ways: natively with chroot (needs root)
 * and under the engine with the root as /. Each case gets $WORK, a fresh directory under
 * /tmp (the tree's /tmp natively, tmpfs in the engine).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HostFs } from '../../src/host/node/hostfs.js';
import { runGuest, type GuestResult } from './guest.js';

export const ROOT_ENV: Record<string, string> = {
  PATH: '/usr/bin:/bin', HOME: '/root', LC_ALL: 'C', TZ: 'UTC', PYTHONDONTWRITEBYTECODE: '1',
};
export const workOf = (name: string): string => `/tmp/work-${name.replace(/[^a-z0-9]+/gi, '-')}`;

export type Timed = GuestResult & { ms: number };

/** Run natively in the root; a string says why native runs are impossible here. */
export function runInRootNatively(root: string, name: string, argv: string[]): Timed | string {
  const work = workOf(name);
  rmSync(join(root, work), { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync('/usr/sbin/chroot', [root, ...argv], { env: { ...ROOT_ENV, WORK: work }, input: '' });
  const ms = performance.now() - t0;
  rmSync(join(root, work), { recursive: true, force: true });
  if (r.error || (r.status === 125 && /chroot/.test(r.stderr.toString()))) {
    return `cannot run natively with chroot (needs root): ${r.error?.message ?? r.stderr.toString().trim()}`;
  }
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: r.status ?? 128, raw: 0, warnings: [], ms };
}

/** Run under the engine with the root as /. */
export async function runInRootEngine(root: string, name: string, argv: string[]): Promise<Timed> {
  const t0 = performance.now();
  const g = await runGuest(argv, {
    root: new HostFs(root), env: Object.entries({ ...ROOT_ENV, WORK: workOf(name) }).map(([k, v]) => `${k}=${v}`), cwd: '/',
  });
  const ms = performance.now() - t0;
  rmSync(join(root, workOf(name)), { recursive: true, force: true });
  return { ...g, ms };
}
