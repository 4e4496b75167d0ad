/**
 * Dynamically linked Debian bookworm programs (ld-linux.so.2, glibc 2.36, bash,
 * coreutils, python3.11, ...) under the engine, with the unpacked packages as the root
 * file system, compared with native runs of the same tree through chroot(8): stdout and
 * exit status must match exactly.
 *
 * All native runs happen first, before the engine opens any host file, so nothing the
 * engine holds open can disturb them.
 */
import { before, test } from 'node:test';
import { debianRoot } from '../../src/host/node/debian-packages.js';
import { assertEngineMatchesNative, runInRootNatively, type Timed } from '../support/debian-root.js';

const sh = (script: string) => ['/bin/bash', '-c', script];
const py = (code: string) => ['/usr/bin/python3', '-c', code];

/** Each case gets $WORK (see test/support/debian-root.ts). */
const CASES: Record<string, string[]> = {
  'bash -c echo': sh('echo hi'),
  'bash: arithmetic, arrays, expansions, [[ =~ ]], traps': sh(
    'f() { local i=0; while (( i < $1 )); do ((i++)); done; echo $i; }; f 300; declare -A m=([x]=1 [y]=2); '
    + 'echo ${!m[@]} | tr " " "\\n" | sort; a=(3 1 2); echo ${#a[@]} ${a[1]}; s=hello; echo ${s^^} ${s:1:3} ${s/l/L}; '
    + '[[ abc =~ b(c) ]] && echo ${BASH_REMATCH[1]}; printf "%05.1f|%-4s|%x\\n" 3.14159 ab 255; trap "echo trapped" EXIT; (exit 3); echo $?'),
  'bash: background jobs, wait, signals, pipes': sh(
    'sleep 0.1 & a=$!; (exit 7) & b=$!; wait $b; echo b=$?; wait $a; echo a=$?; '
    + '(trap "echo TERM; exit 5" TERM; kill -TERM $BASHPID; sleep 1); echo sub=$?; seq 1 100 | grep 7 | wc -l; exit 4'),
  'ls -l of directories': ['/bin/ls', '-l', '/usr', '/etc'],
  'sort, uniq, date -d, stat': sh(
    'printf "b\\na\\nc\\na\\n" | sort | uniq -c; sort -t: -k3n /etc/passwd; date -d "2021-03-04 05:06:07" "+%s %A %B"; '
    + 'date -d "2024-02-29 +1 year" +%F; date -u -d @86400 "+%Y-%m-%d %H:%M:%S"; stat -c "%s %h %F %U %G %a" /etc/passwd /usr'),
  'cp -r and diff -r': sh('mkdir -p $WORK && cp -r /usr/lib/python3.11/json $WORK/j && ls $WORK/j | sort && diff -r -x __pycache__ /usr/lib/python3.11/json $WORK/j && echo same'),
  'sha256sum and md5sum': sh('sha256sum /bin/bash /etc/passwd; md5sum /bin/ls'),
  'grep, sed, awk': sh(
    'printf "alpha 1\\nbeta 2\\ngamma 3\\n" > /tmp/t$$; grep -n a /tmp/t$$; grep -cE "m{2}" /tmp/t$$; grep -P "\\d" /tmp/t$$ | wc -l; '
    + 'sed -e "s/a/A/g" -e 2d /tmp/t$$; awk "{ s += \\$2 } END { print s, NR, s/7 }" /tmp/t$$; rm /tmp/t$$'),
  'find, tar, gzip': sh(
    'mkdir -p $WORK/src/sub && cd $WORK && echo hello > src/a && seq 1 1000 > src/sub/b && tar cf x.tar src && tar tf x.tar | sort '
    + '&& gzip -9 x.tar && gzip -dc x.tar.gz | tar xf - -O src/sub/b | tail -1 && mkdir out && cd out && tar xzf ../x.tar.gz '
    + '&& cat src/a && wc -c src/sub/b && find . -type f | sort'),
  'diff and cmp exit statuses': sh('mkdir -p $WORK; cd $WORK; seq 1 10 > a; seq 1 10 | sed 5d > b; diff a b; echo st=$?; diff -u a a; echo st=$?; cmp a b; echo st=$?'),
  'id, whoami, user names from /etc/passwd': sh('id; whoami; stat -c "%U:%G" /etc/passwd; ls -ln /etc/passwd | cut -d" " -f3,4'),
  'expr and factor (libgmp)': sh('expr 7 \\* 6; expr length hello; factor 1234567890123 4294967297; echo $((2**40))'),
  'python3 -c pass': py('pass'),
  'python3: json, re, hashlib': py('import json, re, hashlib; print(json.dumps({"a": [1, 2]}), re.sub("a+", "b", "caaat"), hashlib.sha256(b"x").hexdigest())'),
  'python3: floats and libm': py(
    'import math, struct; print(struct.pack("<id", 7, 1.5).hex(), math.sqrt(2), math.sin(1.0), 10**30 // 7, 1/3, round(2.675, 2)); '
    + 'print(math.log(10), math.log10(2), math.log1p(1e-5), math.log2(10), math.atan2(1, 2), math.fsum([0.1] * 10), "%.17g" % math.pi)'),
  'python3: files, subprocess, fork': py(
    'import os, tempfile, shutil, subprocess; d = tempfile.mkdtemp(); open(d + "/a", "w").write("x" * 1000); shutil.copy(d + "/a", d + "/b"); '
    + 'print(sorted(os.listdir(d)), os.path.getsize(d + "/b")); shutil.rmtree(d); print(os.path.exists(d)); '
    + 'print(subprocess.run(["/bin/echo", "hi"], capture_output=True).stdout, subprocess.run("exit 3", shell=True).returncode); '
    + 'pid = os.fork(); os._exit(4) if pid == 0 else print(os.waitpid(pid, 0)[1] >> 8)'),
  'python3: threads': py('import threading, queue; q = queue.Queue(); ts = [threading.Thread(target=lambda i=i: q.put(sum(range(i * 1000)))) for i in range(4)]; [t.start() for t in ts]; [t.join() for t in ts]; print(sorted(q.get() for _ in range(4)))'),
  'python3: sys.exit status': py('import sys; print("out"); sys.exit(7)'),
  'python3: socket.socketpair': py('import socket; a, b = socket.socketpair(); a.sendall(b"ping" * 3); print(b.recv(100), a.family, a.type); '
    + 'a.shutdown(socket.SHUT_WR); print(b.recv(10)); b.send(b"back"); print(a.recv(10)); a.close(); b.close()'),
};

let root = '';
let skip: string | false = false;
const native = new Map<string, Timed>();

before(() => {
  try {
    root = debianRoot('glibc');
  } catch (e) {
    skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  for (const [name, argv] of Object.entries(CASES)) {
    const r = runInRootNatively(root, name, argv);
    if (typeof r === 'string') { skip = r; return; }
    native.set(name, r);
  }
});

for (const [name, argv] of Object.entries(CASES)) {
  test(`glibc: ${name} matches a native run`, async (t) => {
    if (skip) { t.skip(skip); return; }
    await assertEngineMatchesNative(t, root, name, argv, native.get(name)!);
  });
}
