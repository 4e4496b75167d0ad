# Python standard library tour for the webx86 userland test: deterministic output only.
import json, re, hashlib, sqlite3, decimal, datetime, zoneinfo, threading, queue, subprocess
import multiprocessing, socket, tempfile, shutil, zlib, struct, math, random, unittest, io, os, sys

print('json', json.dumps({'b': [1, 2.5, None, True], 'a': 'é'}, sort_keys=True), json.loads('{"x": [1, {"y": "z"}]}'))
print('re', re.findall(r'(\w)(\d+)', 'a1 b22 c333'), re.sub(r'(?P<w>\w+)@', r'<\g<w>>', 'joe@ ann@'), bool(re.fullmatch(r'[a-f0-9]{4}', 'beef')))
print('hashlib', hashlib.md5(b'abc').hexdigest(), hashlib.sha1(b'abc').hexdigest(), hashlib.sha512(b'abc').hexdigest()[:32],
      hashlib.blake2b(b'abc', digest_size=16).hexdigest(), hashlib.sha3_256(b'abc').hexdigest()[:16])

def sql(db):
    c = sqlite3.connect(db)
    c.execute('create table t (k integer primary key, v text, n real)')
    c.executemany('insert into t (v, n) values (?, ?)', [(f'v{i}', i * 1.5) for i in range(200)])
    c.commit()
    r = c.execute('select count(*), sum(n), max(v), group_concat(k % 7, "") from t where k % 3 = 0').fetchone()
    c.execute('create index ix on t (v)')
    r2 = c.execute("select k from t where v = 'v42'").fetchall()
    c.close()
    return r[:3], len(r[3]), r2

print('sqlite memory', sqlite3.sqlite_version_info >= (3, 0, 0), sql(':memory:'))
d = tempfile.mkdtemp()
print('sqlite file', sql(os.path.join(d, 'db.sqlite')), os.path.getsize(os.path.join(d, 'db.sqlite')) > 0)
c = sqlite3.connect(os.path.join(d, 'db.sqlite'))
print('sqlite reopen', c.execute('select count(*) from t').fetchone(), c.execute('pragma integrity_check').fetchone())
c.close()

decimal.getcontext().prec = 40
print('decimal', decimal.Decimal(1) / decimal.Decimal(7), decimal.Decimal('1.1') + decimal.Decimal('2.2'),
      decimal.Decimal(2).sqrt(), decimal.Decimal('123.456').quantize(decimal.Decimal('0.1'), rounding=decimal.ROUND_HALF_EVEN))

dt = datetime.datetime(2024, 3, 10, 12, 30, tzinfo=zoneinfo.ZoneInfo('America/New_York'))
print('datetime', dt.isoformat(), dt.astimezone(zoneinfo.ZoneInfo('Europe/Berlin')).isoformat(), dt.utcoffset(),
      (datetime.date(2024, 12, 25) - datetime.date(2024, 1, 1)).days, datetime.datetime.fromtimestamp(1e9, datetime.timezone.utc).strftime('%c %j'))

lock = threading.Lock()
counter = [0]
q = queue.Queue()
def work(i):
    for _ in range(500):
        with lock:
            counter[0] += 1
    q.put(i * i)
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
print('threading', counter[0], sorted(q.get() for _ in range(4)), threading.active_count())

print('subprocess', subprocess.run(['/bin/echo', 'a', 'b'], capture_output=True, text=True).stdout.strip(),
      subprocess.run(['/usr/bin/tr', 'a-z', 'A-Z'], input=b'piped', stdout=subprocess.PIPE).stdout,
      subprocess.check_output('echo $((6*7)) | /usr/bin/wc -c', shell=True), subprocess.call(['/bin/false']))
p1 = subprocess.Popen(['/usr/bin/seq', '1', '50'], stdout=subprocess.PIPE)
p2 = subprocess.Popen(['/bin/grep', '5'], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
print('pipeline', p2.communicate()[0].split(), p1.wait(), p2.returncode)

def square(x):
    return x * x
def child(conn, n):
    conn.send([square(i) for i in range(n)])
    conn.close()
if __name__ == '__main__':
    ctx = multiprocessing.get_context('fork')
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=child, args=(child_end, 10))
    proc.start()
    print('multiprocessing', parent_end.recv(), proc.join(), proc.exitcode)
    # A Pool's queues are locked with semaphores in /dev/shm shared between the processes.
    with ctx.Pool(2) as pool:
        print('pool', pool.map(square, range(10)), sum(pool.imap_unordered(square, range(20))))

a, b = socket.socketpair()
a.sendall(b'hello' * 1000)
a.shutdown(socket.SHUT_WR)
got = b''
while chunk := b.recv(1000):
    got += chunk
print('socketpair', len(got), got[:10])
a.close(); b.close()

src = os.path.join(d, 'src')
os.makedirs(os.path.join(src, 'x', 'y'))
for i, p in enumerate(['a', 'x/b', 'x/y/c']):
    with open(os.path.join(src, p), 'w') as f:
        f.write(str(i) * (i + 1) * 100)
shutil.copytree(src, os.path.join(d, 'dst'))
print('shutil', sorted(os.path.relpath(os.path.join(r, f), os.path.join(d, 'dst')) for r, _, fs in os.walk(os.path.join(d, 'dst')) for f in fs),
      shutil.disk_usage(d).total > 0)
with tempfile.NamedTemporaryFile('w+', dir=d, suffix='.txt') as tf:
    tf.write('temp'); tf.flush(); tf.seek(0)
    print('tempfile', tf.read(), tf.name.endswith('.txt'), os.path.dirname(tf.name) == d)
shutil.rmtree(d)
print('rmtree', os.path.exists(d))

data = b''.join(struct.pack('<IhdQ', i, -i, i / 4, i ** 5) for i in range(1000))
z = zlib.compress(data, 9)
print('zlib', len(data), len(z), zlib.crc32(data), zlib.adler32(data), zlib.decompress(z) == data)
print('struct', struct.unpack('>HbI', b'\x01\x02\xff\x00\x00\x01\x00'), struct.calcsize('@iqc'), struct.pack('!f', 1.5).hex())
print('math', math.sqrt(2), math.factorial(25), math.gcd(2**40, 6**20), math.isqrt(10**20 + 7), math.floor(-2.5), math.hypot(3, 4),
      math.comb(40, 12), math.fsum([0.1] * 10), math.copysign(0.0, -1), math.inf > 1e308, math.isnan(float('nan')))
random.seed(12345)
print('random', random.random(), random.randint(1, 10**9), random.sample(range(100), 5), random.choice('abcdef'))

class T(unittest.TestCase):
    def test_ok(self): self.assertEqual(1 + 1, 2)
    def test_fail(self): self.assertIn('z', 'abc')
    @unittest.skip('skipped')
    def test_skip(self): pass
stream = io.StringIO()
res = unittest.TextTestRunner(stream=stream, verbosity=0).run(unittest.defaultTestLoader.loadTestsFromTestCase(T))
print('unittest', res.testsRun, len(res.failures), len(res.skipped), stream.getvalue().strip().splitlines()[-1])
sys.exit(3)
