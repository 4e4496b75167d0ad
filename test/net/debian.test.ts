/**
 * Debian userland over the guest's network: real curl, python3, git, iproute2 and ping
 * (i386, from Debian bookworm) in the engine, talking to real servers on the host's
 * loopback through the host backend — a Node HTTP server, `git daemon` run natively — and
 * a guest `python3 -m http.server` fetched from the host. With no backend (`--net none`)
 * the loopback inside the VM still works and everything else is unreachable.
 * `ip addr show lo` / `ip link show lo` must print what they print natively (chroot).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netUserlandRoot } from './userland-root.js';
import { HostFs } from '../../src/host/node/hostfs.js';
import { HostStack } from '../../src/host/node/net-host.js';
import { createMachine } from '../../src/engine/machine.js';
import type { NetStack } from '../../src/engine/net/stack.js';
import { CaptureFile, InputFile, runGuest, type GuestResult } from '../support/guest.js';
import { ROOT_ENV, runInRootNatively } from '../support/debian-root.js';


let root = '';
const ENV = Object.entries(ROOT_ENV).map(([k, v]) => `${k}=${v}`);

before(() => { root = netUserlandRoot(); }, { timeout: 600_000 });

function guest(argv: string[], network?: NetStack): Promise<GuestResult> {
  return runGuest(argv, { root: new HostFs(root), env: ENV, cwd: '/', network });
}

async function withHost<T>(fn: (net: HostStack) => Promise<T>): Promise<T> {
  const net = new HostStack();
  try { return await fn(net); } finally { net.close(); }
}

/** A free TCP port on the host's loopback (bound, read back, released). */
async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject);
  });
}

test('curl in the guest fetches from a Node HTTP server on the host (host backend)', async () => {
  const body = `hello from the host ${Math.random()}\n`;
  const server: Server = createServer((req, res) => { res.setHeader('x-path', req.url ?? ''); res.end(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const g = await withHost((net) => guest(['/usr/bin/curl', '-sS', '-D', '-', `http://127.0.0.1:${port}/some/path`], net));
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(g.stdout, /x-path: \/some\/path\r\n/i);
    assert.ok(g.stdout.endsWith(`\r\n\r\n${body}`), g.stdout);
  } finally {
    server.close();
  }
});

test('python3 -m http.server in the guest serves the host (host backend)', async () => {
  const port = await freePort();
  await withHost(async (net) => {
    const { kernel } = await createMachine({ root: new HostFs(root), network: net });
    const out = new CaptureFile(), err = new CaptureFile();
    const p = await kernel.spawn('/usr/bin/python3', {
      argv: ['python3', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', '/etc', String(port)],
      env: ENV, cwd: '/', stdio: [new InputFile(new Uint8Array(0)), out, err],
    });
    assert.ok(typeof p !== 'number', `spawn: ${String(p)}`);
    const running = kernel.sched.run();
    try {
      let r: { status: number; body: string } | null = null;
      // Python starts in seconds alone, in over a minute on a loaded machine (61 s seen with the
      // whole network suite running): a deadline, not a delay.
      const deadline = Date.now() + 240_000;
      while (!r && Date.now() < deadline) {
        try { r = await fetchText(`http://127.0.0.1:${port}/passwd`); } catch { await new Promise((res) => setTimeout(res, 100)); }
      }
      assert.ok(r, `the guest server never answered; stderr: ${err.text()}`);
      assert.equal(r.status, 200);
      assert.match(r.body, /^root:x:0:0:root:\/root:\/bin\/bash$/m);
      const missing = await fetchText(`http://127.0.0.1:${port}/no-such-file`);
      assert.equal(missing.status, 404);
      assert.match(err.text(), /"GET \/passwd HTTP\/1\.1" 200/);
    } finally {
      kernel.signalProcess(p as Exclude<typeof p, number>, { signo: 15, code: 0, pid: 0, uid: 0 });
      await running;
    }
  });
});

test('git clone git://127.0.0.1 from a native git daemon (host backend)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-gitd-'));
  let daemon: ChildProcess | null = null;
  try {
    const repo = join(dir, 'repo.git');
    const work = join(dir, 'work');
    const git = (args: string[], cwd?: string) => execFileSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@e', GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z' } }).toString();
    git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'README'), 'cloned over the guest network\n');
    git(['add', 'README'], work);
    git(['commit', '-q', '-m', 'first'], work);
    writeFileSync(join(work, 'second'), 'x'.repeat(100_000));
    git(['add', 'second'], work);
    git(['commit', '-q', '-m', 'second'], work);
    git(['clone', '-q', '--bare', work, repo]);
    const head = git(['rev-parse', 'HEAD'], work).trim();
    const port = await freePort();
    daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${dir}`, '--listen=127.0.0.1', `--port=${port}`, dir], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((r) => { const s = createNetServer(); s.once('error', () => r(true)); s.listen(port, '127.0.0.1', () => s.close(() => r(false))); });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const g = await withHost((net) => guest(['/bin/bash', '-c',
      `git clone -q git://127.0.0.1:${port}/repo.git /tmp/clone && git -C /tmp/clone rev-parse HEAD && cat /tmp/clone/README && wc -c < /tmp/clone/second; rm -rf /tmp/clone`], net));
    assert.equal(g.stdout, `${head}\ncloned over the guest network\n100000\n`, g.stderr);
    assert.equal(g.status, 0);
  } finally {
    daemon?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const cmd of [['ip', 'addr', 'show', 'lo'], ['ip', 'link', 'show', 'lo']]) {
  test(`${cmd.join(' ')} prints what it prints natively (no backend and host backend)`, async (t) => {
    const native = runInRootNatively(root, 'ip', ['/bin/' + cmd[0], ...cmd.slice(1)]);
    if (typeof native === 'string') { t.skip(native); return; }
    assert.equal(native.status, 0, native.stderr);
    const none = await guest(['/bin/' + cmd[0], ...cmd.slice(1)]);
    assert.equal(none.stdout, native.stdout, none.stderr);
    const host = await withHost((net) => guest(['/bin/' + cmd[0], ...cmd.slice(1)], net));
    assert.equal(host.stdout, native.stdout, host.stderr);
  });
}

test('ip route with no backend: an empty main table, loopback in the local table', async () => {
  const g = await guest(['/bin/bash', '-c', 'ip route; echo --; ip route show table local; echo --; ip -6 route show table local']);
  assert.equal(g.stdout, '--\nlocal 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 \n--\nlocal ::1 dev lo proto kernel metric 0 pref medium\n', g.stderr);
});

test('ping 127.0.0.1 answers from an ICMP datagram socket (no backend and host backend)', async () => {
  for (const net of [undefined, new HostStack()]) {
    const g = await guest(['/bin/ping', '-c', '2', '-i', '0.2', '127.0.0.1'], net);
    net?.close();
    assert.equal(g.status, 0, g.stderr + g.stdout);
    assert.match(g.stdout, /64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=\d+ time=/);
    assert.match(g.stdout, /2 packets transmitted, 2 received, 0% packet loss/);
  }
});

test('--net none: loopback works inside the VM, other destinations are unreachable', async () => {
  const g = await guest(['/bin/bash', '-c', [
    // A server and a client in one VM, over the loopback stack.
    `python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.sendall(b"ping"); print(a.recv(4).decode())'`,
    'exec 3<>/dev/tcp/192.0.2.1/80',
  ].join('; ')]);
  assert.equal(g.stdout, 'ping\n');
  assert.match(g.stderr, /connect: Network is unreachable/);
  assert.notEqual(g.status, 0);
  const c = await guest(['/usr/bin/curl', '-sS', 'http://192.0.2.1/']);
  assert.equal(c.status, 7, c.stderr);
});

// pip's start-up was slow under the interpreter alone (552 s on the shared 2-core machine;
// native: 4 s), so this once ran only when asked for; with the JIT it took 70 s on a quiet
// machine (2026-12-07), so it runs by default. WEBX86_PIP_TEST=0 skips it.
test('pip download from a simple index served by the host (host backend)', { skip: process.env.WEBX86_PIP_TEST === '0' ? 'WEBX86_PIP_TEST=0' : false, timeout: 1_800_000 }, async () => {
  // A minimal wheel (PEP 427: a zip with the package and its dist-info) and a PEP 503 index page with its hash.
  const py = `import zipfile, io, hashlib, sys
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('demo/__init__.py', 'X = 1\\n')
    z.writestr('demo-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: demo\\nVersion: 1.0\\n')
    z.writestr('demo-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')
    z.writestr('demo-1.0.dist-info/RECORD', '')
sys.stdout.buffer.write(b.getvalue())`;
  const wheel = execFileSync('python3', ['-c', py]);
  const sha = createHash('sha256').update(wheel).digest('hex');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/simple/demo/') { res.setHeader('content-type', 'text/html'); res.end(`<html><body><a href="/files/demo-1.0-py3-none-any.whl#sha256=${sha}">demo-1.0-py3-none-any.whl</a></body></html>`); return; }
    if (req.url === '/files/demo-1.0-py3-none-any.whl') { res.end(wheel); return; }
    res.statusCode = 404; res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const g = await withHost((net) => guest(['/bin/bash', '-c',
      `python3 -m pip download --no-deps --no-cache-dir --disable-pip-version-check -q -i http://127.0.0.1:${port}/simple -d /tmp/pipd demo && sha256sum /tmp/pipd/demo-1.0-py3-none-any.whl; rm -rf /tmp/pipd`], net));
    assert.equal(g.stdout, `${sha}  /tmp/pipd/demo-1.0-py3-none-any.whl\n`, g.stderr);
    assert.deepEqual(seen, ['/simple/demo/', '/files/demo-1.0-py3-none-any.whl']);
  } finally {
    server.close();
  }
});

/** A one-record DNS server (RFC 1035 §4.1): every A question gets 192.0.2.7, anything else an empty NOERROR answer. */
async function dnsServer(): Promise<{ port: number; queries: string[]; close(): void }> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (q, rinfo) => {
    let o = 12;
    const labels: string[] = [];
    while (q[o]) { labels.push(q.subarray(o + 1, o + 1 + q[o]).toString()); o += q[o] + 1; }
    const qtype = q.readUInt16BE(o + 1);
    queries.push(`${labels.join('.')}/${qtype}`);
    const question = q.subarray(12, o + 5);
    const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, qtype === 1 ? 1 : 0, 0, 0, 0, 0]);
    const answer = qtype === 1 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]) : Buffer.alloc(0);
    sock.send(Buffer.concat([head, question, answer]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, queries, close: () => sock.close() };
}

test('with no /etc/resolv.conf, name lookups go to the host stack\'s DNS servers (host backend)', async () => {
  assert.ok(!existsSync(join(root, 'etc/resolv.conf')), 'this root is meant to have no resolv.conf');
  const dns = await dnsServer();
  try {
    const g = await withHost((net) => {
      net.dnsServers = [`127.0.0.1:${dns.port}`];
      return guest(['/usr/bin/python3', '-c', 'import socket; print(socket.gethostbyname("svc.example.test"))'], net);
    });
    assert.equal(g.stdout, '192.0.2.7\n', g.stderr);
    assert.ok(dns.queries.includes('svc.example.test/1'), dns.queries.join());
  } finally {
    dns.close();
  }
});

after(() => { spawnSync('true'); });
