/**
 * The HTTP/2 client and its HPACK decoder: RFC 7541 Appendix C vectors, then the client
 * against Node's own HTTP/2 server (node:http2, nghttp2: an independent implementation) over
 * an in-memory duplex, as the control client uses it inside the ts2021 Noise channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { HpackDecoder, HpackError, hpackEncode, huffmanDecode, type Header } from '../../../src/net/tailscale/h2/hpack.js';
import { H2Client } from '../../../src/net/tailscale/h2/client.js';

const dehex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A series of header blocks decoded by one decoder: [block, expected fields, expected table size]. */
function series(limit: number, steps: [string, Header[], number][]): void {
  const d = new HpackDecoder(limit);
  for (const [hex, want, size] of steps) {
    assert.deepEqual(d.decode(dehex(hex)), want);
    assert.equal(d.tableSize, size);
  }
}

const req1: Header[] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const req2: Header[] = [...req1, ['cache-control', 'no-cache']];
const req3: Header[] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];

test('RFC 7541 C.2: literal with, without and never indexed, and indexed fields', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(dehex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), [['custom-key', 'custom-header']]);
  assert.equal(d.tableSize, 55);
  assert.deepEqual(d.decode(dehex('040c 2f73 616d 706c 652f 7061 7468')), [[':path', '/sample/path']]);
  assert.deepEqual(d.decode(dehex('1008 7061 7373 776f 7264 0673 6563 7265 74')), [['password', 'secret']]);
  assert.deepEqual(d.decode(dehex('82')), [[':method', 'GET']]);
  assert.equal(d.tableSize, 55);
});

test('RFC 7541 C.3: requests without Huffman coding share a dynamic table', () => {
  series(4096, [
    ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', req1, 57],
    ['8286 84be 5808 6e6f 2d63 6163 6865', req2, 110],
    ['8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', req3, 164],
  ]);
});

test('RFC 7541 C.4: the same requests with Huffman-coded strings', () => {
  series(4096, [
    ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', req1, 57],
    ['8286 84be 5886 a8eb 1064 9cbf', req2, 110],
    ['8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', req3, 164],
  ]);
});

test('RFC 7541 C.6: Huffman-coded responses with a 256-byte table evict entries', () => {
  const loc: Header = ['location', 'https://www.example.com'];
  series(256, [
    ['4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], loc], 222],
    ['4883 640e ffc1 c0bf', [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], loc], 222],
    [`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b
      3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    [[':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], loc, ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1']], 215],
  ]);
});

test('bad header blocks are errors with a cause, not crashes', () => {
  const d = new HpackDecoder(0);
  assert.throws(() => d.decode(dehex('80')), /index 0/);
  assert.throws(() => d.decode(dehex('be')), /outside the tables/);
  assert.throws(() => d.decode(dehex('3fe11f')), /exceeds the limit 0/);
  assert.throws(() => d.decode(dehex('0408 2f73')), /truncated/);
  assert.throws(() => d.decode(dehex('82 20')), /after a header field/);
  // EOS (30 ones) inside a string, and padding that is not all ones or longer than 7 bits.
  assert.throws(() => huffmanDecode(dehex('ffffffff')), HpackError);
  assert.throws(() => huffmanDecode(dehex('f1e3c2e5f23a6ba0ab90f4fe')), /padding/);
  assert.throws(() => huffmanDecode(dehex('f1e3c2e5f23a6ba0ab90f4ffff')), /padding/);
  assert.equal(text(huffmanDecode(dehex('f1e3c2e5f23a6ba0ab90f4ff'))), 'www.example.com');
});

test('the encoder round-trips through the decoder and adds nothing to the table', () => {
  const hs: Header[] = [[':method', 'POST'], [':path', '/machine/map'], ['content-type', 'application/json'], ['ts-lb', 'nodekey:ab'], ['x-long', 'v'.repeat(300)]];
  const d = new HpackDecoder(0);
  assert.deepEqual(d.decode(hpackEncode(hs)), hs);
  assert.equal(d.tableSize, 0);
});

/** An H2Client wired to a node:http2 server through an in-memory duplex. */
function pair(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void, opts: http2.ServerOptions = {}) {
  const server = http2.createServer(opts, handler);
  let client!: H2Client;
  const sock = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) { client.receive(new Uint8Array(chunk)); cb(); },
    final(cb) { client.transportClosed('the server closed the transport'); cb(); },
  });
  client = new H2Client((b) => sock.push(Buffer.from(b)));
  server.emit('connection', sock);
  return { client, server, sock };
}

const req = (path: string, body?: Uint8Array, method = body ? 'POST' : 'GET') => ({ method, path, authority: 'control.test', body });

test('requests against node:http2: status, headers, a body larger than the windows in both directions', async () => {
  const big = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
  const { client } = pair((rq, rs) => {
    const parts: Buffer[] = [];
    rq.on('data', (c: Buffer) => parts.push(c));
    rq.on('end', () => {
      const got = Buffer.concat(parts);
      rs.setHeader('x-got', String(got.length));
      rs.setHeader('x-path', rq.url);
      rs.end(rq.url === '/echo' ? got : Buffer.from('ok'));
    });
  });
  const r1 = await client.request(req('/hello'));
  assert.equal(r1.status, 200);
  assert.equal(text(await r1.body.all()), 'ok');
  const r2 = await client.request(req('/echo', big));
  assert.equal(r2.headers.find(([n]) => n === 'x-got')?.[1], '300000');
  assert.deepEqual(await r2.body.all(), big);
  client.close();
});

test('a streamed response arrives chunk by chunk while other requests run on the same connection', async () => {
  let push!: (b: Uint8Array) => void;
  const { client } = pair((rq, rs) => {
    if (rq.url === '/machine/map') { rs.writeHead(200); push = (b) => rs.write(b); return; }
    rs.end('register ok');
  });
  const map = await client.request(req('/machine/map', new TextEncoder().encode('{"Stream":true}')));
  push(Uint8Array.of(3, 0, 0, 0, 0x61, 0x62, 0x63));
  assert.deepEqual(await map.body.read(), Uint8Array.of(3, 0, 0, 0, 0x61, 0x62, 0x63));
  const reg = await client.request(req('/machine/register', new Uint8Array([1])));
  assert.equal(text(await reg.body.all()), 'register ok');
  push(Uint8Array.of(9));
  assert.deepEqual(await map.body.read(), Uint8Array.of(9));
  client.cancel(map);
  await assert.rejects(map.body.read(), /cancelled/);
  assert.equal(client.openStreams, 0);
  client.close();
});

test('RST_STREAM and GOAWAY from the server fail the requests with the reason', async () => {
  const { client } = pair((rq, rs) => {
    if (rq.url === '/reset') { rs.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM); return; }
    rs.writeHead(200);
    rs.write('partial');
    setTimeout(() => rq.stream.session!.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR, 0, Buffer.from('going down')), 20);
  });
  await assert.rejects(client.request(req('/reset')), /reset the request \(REFUSED_STREAM\)/);
  const r = await client.request(req('/long'));
  assert.equal(text((await r.body.read())!), 'partial');
  await assert.rejects(r.body.read(), /GOAWAY INTERNAL_ERROR: going down/);
  await assert.rejects(client.request(req('/after')), /GOAWAY/);
});

test('the transport closing mid-stream and garbage from the server end open requests with a message', async () => {
  const a = pair((_rq, rs) => { rs.writeHead(200); rs.write('x'); setTimeout(() => a.sock.destroy(), 10); });
  const r = await a.client.request(req('/map'));
  await r.body.read();
  a.sock.on('close', () => a.client.transportClosed('the control connection closed mid-stream'));
  await assert.rejects(r.body.read(), /closed mid-stream/);

  const sent: Uint8Array[] = [];
  const c = new H2Client((b) => sent.push(b));
  const p = c.request(req('/x'));
  c.receive(new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await assert.rejects(p, /HTTP\/2 (FRAME_SIZE_ERROR|PROTOCOL_ERROR)/);
  assert.ok(c.closed);
});
