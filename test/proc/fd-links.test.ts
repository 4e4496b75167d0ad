/**
 * /dev/fd/N, /dev/stdin and /proc/PID/fd/N are magic links (src/engine/fs/magic-link.ts):
 * opening or stat'ing one reaches the open file itself, so bash's process substitution
 * (`diff <(echo a) <(echo b)` names /dev/fd/63, a pipe) works. Compared with native runs
 * of the same Debian tree with /proc and /dev mounted (stdout and exit status must match).
 */
import { before, test } from 'node:test';
import { debianRoot } from '../../src/host/node/debian-packages.js';
import { assertEngineMatchesNative, runInRootNatively, type Timed } from '../support/debian-root.js';

const sh = (script: string) => ['/bin/bash', '-c', script];

/** What Linux gives for each kind of file opened again through /proc/self/fd (python3 prints it). */
const PY = `
import os, socket, errno
def tryopen(path, mode=os.O_RDONLY):
    try:
        g = os.open(path, mode); os.close(g); return "ok"
    except OSError as e: return errno.errorcode[e.errno]
fd = lambda n: "/proc/self/fd/%d" % n
s = socket.socket(socket.AF_UNIX); print("socket", tryopen(fd(s.fileno())))
a, b = socket.socketpair(); print("socketpair", tryopen("/dev/fd/%d" % a.fileno(), os.O_RDWR))
e = os.eventfd(0); print("eventfd", tryopen(fd(e)))
r, w = os.pipe()
g = os.open(fd(r), os.O_WRONLY); os.write(g, b"written through the reopened read end"); print(os.read(r, 100))
h = os.open("/proc/%d/fd/%d" % (os.getpid(), w), os.O_RDONLY | os.O_NONBLOCK); os.write(w, b"xy"); print(os.read(h, 10))
print("pipe O_RDWR", tryopen(fd(w), os.O_RDWR))
st = os.stat(fd(r)); print("fifo", st.st_mode & 0o170000 == 0o010000, st.st_ino == os.fstat(r).st_ino, os.readlink(fd(r)).startswith("pipe:["))
f = os.open("/etc/passwd", os.O_RDONLY); os.read(f, 5)
g = os.open("/dev/fd/%d" % f, os.O_RDONLY); print("own offset", os.read(g, 5), os.lseek(f, 0, os.SEEK_CUR), os.lseek(g, 0, os.SEEK_CUR))
d = os.open("/etc", os.O_RDONLY | os.O_DIRECTORY); print("dir", os.path.isdir(fd(d)), "passwd" in os.listdir(fd(d)), os.path.exists(fd(d) + "/passwd"))
print("closed", tryopen(fd(99)), tryopen("/dev/fd/99"))
`;

const CASES: Record<string, string[]> = {
  'process substitution: diff, paste, cat': sh('diff <(echo a) <(echo b); echo st=$?; paste <(seq 3) <(seq 4 6); cat <(seq 2) <(echo x) | wc -l; diff <(seq 5) <(seq 5) && echo same'),
  '/dev/stdin, /dev/stdout and /proc/self/fd/0 on pipes and files': sh(
    'echo piped | cat /dev/stdin; cat /proc/self/fd/0 < /etc/hostname; head -1 /dev/fd/0 < /etc/passwd; '
    + '{ echo through-stdout > /dev/stdout; } | cat; echo | stat -L -c %F /dev/stdin; stat -L -c %F /dev/stdin < /etc/passwd; '
    + 'exec 3< /etc/passwd; read -r l <&3; head -c 9 /dev/fd/3; echo; read -r l2 <&3; echo "$l2" | cut -d: -f1'),
  'reopening pipes, sockets, eventfd, files and directories': ['/usr/bin/python3', '-c', PY],
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
    const r = runInRootNatively(root, name, argv, { procAndDev: true });
    if (typeof r === 'string') { skip = r; return; }
    native.set(name, r);
  }
});

for (const [name, argv] of Object.entries(CASES)) {
  test(`fd links: ${name} matches a native run`, async (t) => {
    if (skip) { t.skip(skip); return; }
    await assertEngineMatchesNative(t, root, name, argv, native.get(name)!);
  });
}
