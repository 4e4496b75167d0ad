/**
 * The relay backend end to end (the tests are in relay.netns.ts). A guest keeps loopback
 * inside the VM, so the destinations must have a non-loopback address; the tests run in a
 * network namespace of their own where 192.0.2.1 (TEST-NET-1, RFC 5737) sits on its lo next
 * to 127.0.0.1: the relay listens on 127.0.0.1, the servers on 192.0.2.1. Needs root (or
 * unprivileged user namespaces) for unshare; otherwise it skips with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { netUserlandRoot } from './userland-root.js';

const INNER = new URL('./relay.netns.ts', import.meta.url).pathname;
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0 || spawnSync('unshare', ['-rn', 'true']).status === 0;
const unshareArgs = spawnSync('unshare', ['-n', 'true']).status === 0 ? ['-n'] : ['-rn'];

/** Our environment without the test runner's own marker, so the inner run runs its file. */
function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_TEST_CONTEXT;
  return e;
}

test('relay backend in a network namespace (curl, refusals, UDP, 20 MB, malformed frames)', { skip: canUnshare ? false : 'unshare -n is not permitted here (needs root or user namespaces)', timeout: 900_000 }, async () => {
  // Built here, outside the namespace: inside it there is no network to download packages with.
  netUserlandRoot();
  const setup = 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec "$0" --import tsx --test --test-reporter=spec --test-concurrency=1 "$1"';
  const p = spawn('unshare', [...unshareArgs, 'sh', '-c', setup, process.execPath, INNER], { stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d; });
  p.stderr.on('data', (d: Buffer) => { out += d; });
  const code = await new Promise<number>((r) => p.on('close', (c) => r(c ?? 1)));
  process.stdout.write(out.replace(/^/gm, '    '));
  assert.equal(code, 0, `the tests in the namespace failed:\n${out}`);
  assert.match(out, /(ℹ|#) pass [1-9]/);
  assert.match(out, /(ℹ|#) fail 0/);
});
