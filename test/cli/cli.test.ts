/** The `webx86` command as a user runs it: a separate process, real stdio, exit statuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
const webx86 = (args: string[], input = '') => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

test('the issue example prints 42 and 5,4,3,2,1,', () => {
  const r = webx86(['run', '--mount', `${busyboxBinDir()}:/bin`, '--', '/bin/busybox', 'sh', '-c', 'echo $((6*7)); seq 1 5 | sort -r | tr "\\n" ,']);
  assert.equal(r.stdout, '42\n5,4,3,2,1,');
  assert.equal(r.status, 0, r.stderr);
});

test('exit statuses: the guest code, or 128 + the signal that killed it', () => {
  const bin = `${busyboxBinDir()}:/bin`;
  assert.equal(webx86(['run', '--mount', bin, '--', '/bin/sh', '-c', 'exit 3']).status, 3);
  assert.equal(webx86(['run', '--mount', bin, '--', '/bin/sh', '-c', 'kill -SEGV $$']).status, 139);
  assert.equal(webx86(['run', '--mount', bin, '--', '/bin/sh', '-c', 'kill -TERM $$']).status, 143);
});

test('stdin passes through and --env/--cwd apply', () => {
  const r = webx86(['run', '--mount', `${busyboxBinDir()}:/bin`, '--env', 'GREETING=hi', '--cwd', '/tmp', '--', '/bin/sh', '-c', 'read x; echo "$GREETING $x $(pwd)"'], 'there\n');
  assert.equal(r.stdout, 'hi there /tmp\n');
});

test('errors are one clear line and a non-zero status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-cli-'));
  writeFileSync(join(dir, 'garbage'), 'not a program at all\n', { mode: 0o755 });
  writeFileSync(join(dir, 'short.elf'), Buffer.from('7f454c460101', 'hex'), { mode: 0o755 });
  const cases: [string[], RegExp][] = [
    [['run', '--', '/nonexistent'], /cannot run \/nonexistent: No such file or directory/],
    [['run', '--mount', `${dir}:/x`, '--', '/x/garbage'], /not an executable format/],
    [['run', '--mount', `${dir}:/x`, '--', '/x/short.elf'], /truncated ELF header/],
    [['run', '--disk', join(dir, 'missing.ext2'), '--', '/bin/sh'], /no such image file/],
    [['run', '--disk', join(dir, 'garbage'), '--', '/bin/sh'], /cannot mount as ext2/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, re] of cases) {
    const r = webx86(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  rmSync(dir, { recursive: true });
});

test('WEBX86_V8_FLAGS: V8 flags set before the run; a word that is not a flag is one clear line and status 2', () => {
  const run = (flags: string) => spawnSync(process.execPath, [BIN, 'run', '--mount', `${busyboxBinDir()}:/bin`, '--', '/bin/sh', '-c', 'echo $((6*7))'],
    { encoding: 'utf8', env: { ...process.env, WEBX86_V8_FLAGS: flags } });
  const ok = run('--wasm-tiering-budget=18000000 --no-wasm-loop-peeling');
  assert.equal(ok.stdout, '42\n');
  assert.equal(ok.status, 0, ok.stderr);
  const bad = run('--liftoff-only turbofan');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'webx86: WEBX86_V8_FLAGS: "turbofan" is not a V8 flag (--name or --name=value; "off" for none)\n');
  assert.equal(bad.stdout, '');
});

test('--disk mounts an ext2 image read-only at / with a writable /tmp', (t) => {
  try { execFileSync('mke2fs', ['-V'], { stdio: 'ignore' }); } catch { t.skip('mke2fs (e2fsprogs) is not installed'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'webx86-disk-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(tree, 'etc/motd'), 'from the image\n');
  const img = join(dir, 'root.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, img, '16M']);
  const r = webx86(['run', '--disk', img, '--', '/bin/sh', '-c', 'cat /etc/motd; echo t > /tmp/t && cat /tmp/t; echo x > /etc/new || echo read-only']);
  assert.equal(r.stdout, 'from the image\nt\nread-only\n');
  assert.match(r.stderr, /Read-only file system/);
  rmSync(dir, { recursive: true });
});

test('--jit off|on|force: the same output; --debug reports what the JIT translated; other values are refused', () => {
  const bin = `${busyboxBinDir()}:/bin`;
  const loop = ['/bin/sh', '-c', 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo $i'];
  const jitLine = (stderr: string) => /webx86: jit: (\{.*\})/.exec(stderr)?.[1];
  const off = webx86(['run', '--jit', 'off', '--debug', '--mount', bin, '--', ...loop]);
  assert.equal(off.stdout, '3000\n');
  assert.equal(jitLine(off.stderr), undefined, 'no JIT figures with --jit off');
  const force = webx86(['run', '--jit', 'force', '--debug', '--mount', bin, '--', ...loop]);
  assert.equal(force.stdout, '3000\n');
  const stats = JSON.parse(jitLine(force.stderr) ?? '{}') as { mode?: string; regionsCompiled?: number; instructions?: number };
  assert.equal(stats.mode, 'force');
  assert.ok((stats.regionsCompiled ?? 0) > 0 && (stats.instructions ?? 0) > 0, force.stderr);
  const bad = webx86(['run', '--jit', 'fast', '--mount', bin, '--', '/bin/true']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--jit wants on, off or force, got 'fast'/);
});

test('--net: host (the default) reaches a server on the host, none refuses it, anything else is an error', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('from the host\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const run = (net: string[]) => new Promise<{ out: string; err: string; status: number | null }>((resolve) => {
    // Asynchronous: the host's HTTP server answers from this process while the CLI runs.
    const p = spawn(process.execPath, [BIN, 'run', ...net, '--mount', `${busyboxBinDir()}:/bin`, '--', '/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${port}/`]);
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (status) => resolve({ out, err, status }));
  });
  try {
    const host = await run([]);
    assert.equal(host.out, 'from the host\n', host.err);
    assert.equal(host.status, 0);
    const none = await run(['--net', 'none']);
    assert.match(none.err, /Connection refused/);
    assert.notEqual(none.status, 0);
  } finally {
    server.close();
  }
  const bad = webx86(['run', '--net', 'bogus', '--', '/bin/true']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--net wants host, none, tailscale or relay, got 'bogus'/);
});
