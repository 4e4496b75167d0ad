/**
 * The inside of relay-namespace.ts's network namespace: two HTTP servers on 192.0.2.1, a real
 * `webx86 relay` (the CLI, as a user runs it) allowing only the first, and a Unix socket at
 * argv[2] forwarding to the relay. Prints `READY <allowed port> <refused port>`; the relay's
 * stderr and each server hit follow on stdout. Ends with its parent (SIGTERM or stdin closed).
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createConnection, createServer, type AddressInfo } from 'node:net';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
const DEST = '192.0.2.1';
const sock = process.argv[2];

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, DEST, r));
  return (s.address() as AddressInfo).port;
}

const allowed = createHttpServer((req, res) => {
  console.log(`HIT allowed ${req.method} ${req.url}`);
  res.setHeader('content-type', 'text/plain');
  res.end('hello through the relay\n');
});
const refused = createHttpServer((req, res) => {
  console.log(`HIT refused ${req.method} ${req.url}`);
  res.end('not for you\n');
});
const allowedPort = await listen(allowed);
const refusedPort = await listen(refused);
const relay = spawn(process.execPath, [BIN, 'relay', '--listen', '0', '--allow', `${DEST}:${allowedPort}`, '--verbose'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
relay.stderr.on('data', (d: Buffer) => { log += d; process.stdout.write(d); });
let relayPort = 0;
for (let i = 0; i < 600 && !relayPort; i++) {
  const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
  if (m) relayPort = Number(m[1]); else await new Promise((r) => setTimeout(r, 50));
}
if (!relayPort) { console.log(`the relay did not start: ${log}`); process.exit(1); }
const bridge = createServer((c) => {
  const t = createConnection(relayPort, '127.0.0.1');
  c.pipe(t).pipe(c);
  const end = () => { c.destroy(); t.destroy(); };
  c.on('error', end); t.on('error', end); c.on('close', end); t.on('close', end);
});
await new Promise<void>((r) => bridge.listen(sock, r));
const stop = () => { relay.kill('SIGTERM'); process.exit(0); };
process.on('SIGTERM', stop);
// Our parent gone (even by SIGKILL): its end of our stdin closes.
process.stdin.on('close', stop);
process.stdin.resume();
console.log(`READY ${allowedPort} ${refusedPort}`);
