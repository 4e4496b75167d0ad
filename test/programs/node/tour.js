// Debian's node (V8 with SSE2 code) under the engine: fs, crypto, zlib, child_process and
// number formatting, which go through V8's generated SSE2 code, OpenSSL and zlib.
'use strict';
const fs = require('fs'), path = require('path'), crypto = require('crypto'), zlib = require('zlib');
const { execFileSync } = require('child_process');

const dir = path.join(process.env.WORK, 'node');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'a.txt');
fs.writeFileSync(file, 'hello, world\n'.repeat(500));
fs.appendFileSync(file, 'end\n');
console.log('fs', fs.statSync(file).size, fs.readdirSync(dir), fs.readFileSync(file, 'utf8').split('\n').length);
fs.renameSync(file, path.join(dir, 'b.txt'));
console.log('exists', fs.existsSync(file), fs.existsSync(path.join(dir, 'b.txt')));

const data = fs.readFileSync(path.join(dir, 'b.txt'));
console.log('sha256', crypto.createHash('sha256').update(data).digest('hex'));
console.log('sha512', crypto.createHash('sha512').update('abc').digest('hex').slice(0, 32));
console.log('md5', crypto.createHash('md5').update(data).digest('base64'));
console.log('hmac', crypto.createHmac('sha1', 'key').update('message').digest('hex'));
const key = Buffer.alloc(16, 7), iv = Buffer.alloc(16, 9);
const c = crypto.createCipheriv('aes-128-cbc', key, iv);
const enc = Buffer.concat([c.update('the quick brown fox jumps over the lazy dog'), c.final()]);
console.log('aes', enc.toString('hex'));
const d = crypto.createDecipheriv('aes-128-cbc', key, iv);
console.log('aes back', Buffer.concat([d.update(enc), d.final()]).toString());
console.log('pbkdf2', crypto.pbkdf2Sync('pw', 'salt', 1000, 16, 'sha256').toString('hex'));

const gz = zlib.gzipSync(data, { level: 9 });
console.log('gzip', gz.length, zlib.gunzipSync(gz).equals(data));
console.log('deflate', zlib.deflateRawSync(Buffer.from('abcabcabcabc')).toString('hex'));
console.log('brotli', zlib.brotliDecompressSync(zlib.brotliCompressSync(data)).length);

console.log('numbers', JSON.stringify({ a: [1, 2.5, 1e21, -0, 0.1 + 0.2] }), Math.sqrt(2), (0.1 + 0.2).toFixed(20),
  (123456.789).toExponential(4), Math.round(-2.5), Math.floor(-1e-300), (2 ** 53 + 1) / 3, parseFloat('2.2250738585072011e-308'));
console.log('math', Math.sin(1), Math.exp(1), Math.log(10), Math.pow(2, 0.5), Math.hypot(3, 4), Math.fround(1 / 3));
let s = 0; for (let i = 1; i < 200000; i++) s += 1 / i; console.log('sum', s);
console.log('sort', [5, 3, 10, 1].sort(), [5, 3, 10, 1].sort((a, b) => a - b), 'x'.repeat(3), [1, 2, 3].map((x) => x * 1.5));
console.log('date', new Date(86400000 * 365.25 * 30).toISOString(), 'json', JSON.parse('{"k":[1,{"z":null}]}').k[1].z);
console.log('child', execFileSync('/bin/echo', ['from', 'child']).toString().trim());
console.log('bigint', (2n ** 100n).toString(), 'regexp', 'a1b22c333'.replace(/\d+/g, (m) => m.length));
const { Worker } = require('worker_threads');
const w = new Worker('const { parentPort, workerData } = require("worker_threads"); parentPort.postMessage(workerData.map((x) => x * x).reduce((a, b) => a + b) / 3);', { eval: true, workerData: [1.5, 2, 3] });
w.on('message', (m) => console.log('worker', m));
w.on('exit', (code) => console.log('worker exit', code));
