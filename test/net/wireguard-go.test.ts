// WireGuard interop with Debian's real wireguard-go (tailscale-protocols.md §6.1.2): in a
// private network namespace, wireguard-go on a TUN device and our device over UDP on the
// namespace's loopback. The scenario runs in wireguard-go.child.ts inside the namespace;
// this file creates the namespace, runs it, and checks what it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('../../', import.meta.url).pathname;

function why(): string | null {
  for (const bin of ['wireguard-go', 'wg', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed (apt-get install wireguard-go wireguard-tools iproute2)`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is unavailable';
  const ns = `wgprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', ns]);
  return null;
}

const skip = why();
if (skip) console.log(`# wireguard-go interop skipped: ${skip}`);

test('our WireGuard and wireguard-go: handshakes both ways, ICMP and UDP through the tunnel, rekey by forced time, cookie under load', { skip: skip ?? false, timeout: 90_000 }, () => {
  const ns = `wgtest${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/net/wireguard-go.child.ts'], { cwd: root, encoding: 'utf8', timeout: 80_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let rep: Record<string, any>;
    try {
      rep = JSON.parse(line);
    } catch {
      throw new Error(`child printed no report (status ${r.status}): ${r.stdout}\n${r.stderr}`);
    }
    console.log(`# wireguard-go interop: ${line}`);
    assert.equal(rep.error, undefined, rep.error);
    assert.equal(rep.weInitiate.replyFrom, '100.64.0.1');
    assert.equal(rep.weInitiate.replyData, 'webx86 wireguard');
    assert.match(rep.udpAtKernel, /^100\.64\.0\.2:40000 ping over udp$/);
    assert.equal(rep.udpBack, 'pong:ping over udp');
    assert.equal(rep.rekey.handshakes, 2);
    assert.equal(rep.rekey.previousIsOld, true);
    assert.equal(rep.theyInitiate.echoes, 3);
    assert.equal(rep.theyInitiate.weResponded, 1);
    assert.equal(rep.cookie.cookieRepliesSent >= 1, true);
    assert.equal(rep.cookie.echoes, 1);
    assert.equal(rep.cookie.completed, 1);
    assert.equal(rep.ok, true);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
