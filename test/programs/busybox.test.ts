/**
 * Debian's static busybox under the engine, compared with a native run of the same
 * binary: stdout and exit status must match exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bbGuest, bbNative } from '../support/busybox.js';

const prologue = 'mkdir -p $WORK && cd $WORK && ';

const CASES: Record<string, string> = {
  'arithmetic and the issue example': 'echo $((6*7)); seq 1 5 | sort -r | tr "\\n" ,',
  'pipes and redirections': 'printf "b\\na\\nc\\na\\n" > f; sort < f | uniq -c; cat f | wc -l; echo err 1>&2; cat nope 2>/dev/null || echo missing; echo x >> f; tail -n 2 f',
  'subshells and command substitution': 'x=$(echo inner; (echo sub; exit 3); echo status $?); echo "$x"; echo $( (cd /; pwd) ); pwd',
  'background jobs and wait': 'sleep 0.1 & a=$!; (exit 7) & b=$!; wait $b; echo b=$?; wait $a; echo a=$?; echo done',
  'traps and kill': 'trap "echo got USR1" USR1; kill -USR1 $$; trap "echo bye" EXIT; (trap "echo TERM; exit 5" TERM; kill -TERM $$ 2>/dev/null; sh -c "kill -TERM \\$PPID"; sleep 1) ; echo sub=$?',
  'here-documents': 'cat <<EOF\nline $((1+1))\n  indented\nEOF\ncat <<-"X"\n\tliteral $HOME\nX',
  'loops, functions, test': 'f() { local i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; echo $i; }; f 100; for w in a b c; do test "$w" = b && continue; echo $w; done; [ -d / ] && echo dir; expr 7 \\* 6; expr length hello',
  'grep sed awk': 'printf "alpha 1\\nbeta 2\\ngamma 3\\n" > t; grep -n a t; grep -c mm t; sed -e "s/a/A/g" -e 2d t; awk "{ s += \\$2 } END { print s, NR }" t; awk -F" " "\\$2>1{print \\$1}" t',
  'find and xargs': 'mkdir -p d/e/f; touch d/1 d/e/2 d/e/f/3; find d -type f | sort; find d -name "[12]" | sort | xargs echo; find d -type d | sort | xargs -n1 basename',
  'tar and gzip': 'mkdir -p src/sub; echo hello > src/a; seq 1 1000 > src/sub/b; tar cf x.tar src; tar tf x.tar | sort; gzip -9 x.tar; gzip -dc x.tar.gz | tar xf - -O src/sub/b | tail -1; mkdir out; cd out; tar xzf ../x.tar.gz; cat src/a; wc -c src/sub/b',
  'checksums and od/dd': 'seq 1 20000 > s; sha256sum s; md5sum s; cksum s; printf "\\001\\002abc" | od -An -tx1; dd if=s bs=100 skip=3 count=2 2>/dev/null | wc -c; head -c 1000 s | sha1sum',
  'printf and date': 'printf "%5d|%-5s|%x|%o|%c\\n" 42 ab 255 8 Z; date -u -d @86400 "+%Y-%m-%d %H:%M:%S"; date -u -d "2021-03-04 05:06:07" +%s',
  'exit status of a pipeline': 'false | true; echo $?; true | false; echo $?; sh -c "exit 3"; echo $?',
  'cut, paste, tr, rev, sort -n': 'printf "3,c\\n1,a\\n2,b\\n" > k; cut -d, -f2 k; sort -t, -k1n k | paste -sd";"; echo Hello | tr a-z A-Z; echo abc | rev; seq 10 -3 1 | sort -n | head -2',
  'ls of a created tree': 'mkdir -p q/r; echo 12345 > q/f; ln -s f q/l; ln q/f q/h; ls q | sort; ls -l q/f q/h | awk "{print \\$1, \\$2, \\$5}"; readlink q/l; stat -c "%s %h %F" q/f q/r',
};

for (const [name, script] of Object.entries(CASES)) {
  test(`busybox: ${name} matches a native run`, async () => {
    const native = bbNative(prologue + script);
    const guest = await bbGuest(prologue + script);
    assert.equal(guest.stdout, native.stdout, `stdout differs; guest stderr: ${guest.stderr}`);
    assert.equal(guest.status, native.status, `status differs; guest stderr: ${guest.stderr}`);
  });
}

test('busybox: exit 3 gives status 3', async () => {
  const r = await bbGuest('exit 3');
  assert.equal(r.status, 3);
});

test('busybox: stdin is passed through', async () => {
  const r = await bbGuest('sort | head -1', 'zeta\nalpha\n');
  assert.equal(r.stdout, 'alpha\n');
});
