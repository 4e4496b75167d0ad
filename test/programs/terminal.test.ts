/**
 * Interactive, full-screen Debian programs on a terminal, driven keystroke by keystroke:
 * bash (prompt, tab completion of a command and of a file name, history recall with the
 * up arrow, `history`), less (paging, / search, q) and the editors vim.tiny and nano
 * (type, save, quit). Each dialogue runs natively on a real pty (chroot into the same
 * unpacked root) and under the engine on its console, with the same keys; the tests compare
 * what matters, the files written and the lines shown, not escape-sequence details.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TERMINAL_ROOT_PACKAGES, debianRoot } from '../../src/host/node/debian-packages.js';
import {
  TERM_ENV, plainText, startInRootEngineOnConsole, startInRootNativelyOnPty, type TermSession,
} from '../support/debian-root.js';

const FIX = '/opt/webx86-term';
const LINES = Array.from({ length: 100 }, (_, i) => `line ${String(i + 1).padStart(3, '0')} ${['alpha', 'beta', 'gamma'][i % 3]}`);
/** History neither read from nor written to the tree; less keeps no history file either. */
const ENV = { ...TERM_ENV, HISTFILE: '/dev/null', LESSHISTFILE: '-' };

let root = '';
let skip: string | false = false;

before(() => {
  try {
    root = debianRoot('terminal', TERMINAL_ROOT_PACKAGES);
  } catch (e) {
    skip = `Debian i386 packages could not be downloaded: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  if (spawnSync('/usr/sbin/chroot', [root, '/bin/true']).status !== 0) skip = 'cannot chroot (needs root)';
  else if (!existsSync('/usr/bin/python3')) skip = 'no /usr/bin/python3 for a native pty';
  mkdirSync(join(root, FIX.slice(1)), { recursive: true });
  // Written aside and renamed: another run of this file may be reading them.
  const put = (name: string, text: string) => {
    const tmp = join(root, FIX.slice(1), `.${name}.${process.pid}`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(root, FIX.slice(1), name));
  };
  put('lines.txt', LINES.join('\n') + '\n');
  put('zebra-unique-name.txt', 'the zebra file\n');
});

type Side = 'native' | 'engine';
/** A dialogue drives one session and returns what it observed, to compare across sides. */
type Dialogue = (s: TermSession, side: Side) => Promise<Record<string, unknown>>;

async function bothWays(argv: string[], dialogue: Dialogue): Promise<Record<Side, Record<string, unknown>>> {
  const out = {} as Record<Side, Record<string, unknown>>;
  for (const side of ['native', 'engine'] as const) {
    const s = side === 'native' ? startInRootNativelyOnPty(root, argv, { env: ENV }) : await startInRootEngineOnConsole(root, argv, { env: ENV });
    try {
      out[side] = await dialogue(s, side);
    } catch (e) {
      s.close();
      throw new Error(`${side}: ${(e as Error).message}`);
    }
    out[side].status = await s.exited;
  }
  return out;
}

const PROMPT = /root@[\w.-]+:~# $/;

test('bash -i: prompt, completion of a command and a file name, history', async (t) => {
  if (skip) { t.skip(skip); return; }
  const seen = await bothWays(['/bin/bash', '-i'], async (s) => {
    await s.waitFor(PROMPT);
    // Command completion: `ech` has one completion, the builtin echo (and a space).
    let mark = s.screen.length;
    s.send('ech\t');
    await s.waitForText(/echo $/, mark);
    s.send('first\r');
    await s.waitForText(/\nfirst\n[\s\S]*# $/, mark);
    // File name completion, unique after the prefix.
    mark = s.screen.length;
    s.send(`cat ${FIX}/zeb\t`);
    const completed = await s.waitForText(/zebra-unique-name\.txt $/, mark);
    s.send('\r');
    await s.waitForText(/\nthe zebra file\n[\s\S]*# $/, mark);
    // Up arrow twice recalls the command before last; it runs again.
    mark = s.screen.length;
    s.send('\x1b[A\x1b[A');
    await s.waitForText(/echo first$/, mark);
    s.send('\r');
    await s.waitForText(/\nfirst\n[\s\S]*# $/, mark);
    mark = s.screen.length;
    s.send('history\r');
    const listing = await s.waitForText(/\d+\s+history\n[\s\S]*# $/, mark);
    s.send('exit\r');
    return {
      completed: completed.trim(),
      history: listing.split('\n').filter((l) => /^\s*\d+\s+\S/.test(l)).map((l) => l.trim().replace(/\s+/g, ' ')),
    };
  });
  assert.deepEqual(seen.engine.history, ['1 echo first', `2 cat ${FIX}/zebra-unique-name.txt`, '3 echo first', '4 history']);
  assert.deepEqual(seen.engine, seen.native);
});

test('less: pages a file full-screen, / searches, q quits', async (t) => {
  if (skip) { t.skip(skip); return; }
  const shown = (screen: string) => [...new Set(plainText(screen).match(/line \d{3}/g) ?? [])].sort();
  const seen = await bothWays(['/usr/bin/less', `${FIX}/lines.txt`], async (s) => {
    // 24 rows: 23 lines of the file and the prompt line.
    const first = await s.waitForText(/line 023 beta[\s\S]*lines\.txt/);
    const mark = s.screen.length;
    s.send('/line 050\r');
    const found = await s.waitForText(/line 072 gamma/, mark);
    s.send('q');
    return { first: shown(first), found: shown(found) };
  });
  assert.deepEqual(seen.engine.first, LINES.slice(0, 23).map((l) => l.slice(0, 8)));
  assert.ok((seen.engine.found as string[]).includes('line 050') && (seen.engine.found as string[]).includes('line 072'));
  assert.deepEqual(seen.engine, seen.native);
});

/**
 * Run an editor on FILE both ways (argv ends with its guest path); returns the file each side
 * left. Each run of the test file edits in its own directory (editors leave swap and lock
 * files beside the file, and the suite may run twice at once).
 */
async function editBothWays(editor: string[], name: string, dialogue: Dialogue): Promise<Record<Side, string>> {
  const dir = `/root/edit-${process.pid}`;
  const host = join(root, dir.slice(1));
  const files = {} as Record<Side, string>;
  const fresh = () => { rmSync(host, { recursive: true, force: true }); mkdirSync(host); };
  fresh();
  try {
    const seen = await bothWays([...editor, `${dir}/${name}`], async (s, side) => {
      const r = await dialogue(s, side);
      await s.exited;
      files[side] = existsSync(join(host, name)) ? readFileSync(join(host, name), 'utf8') : '(no file)';
      fresh();
      return r;
    });
    assert.deepEqual(seen.engine, seen.native);
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
  return files;
}

test('vim.tiny: insert text, :wq writes the file', async (t) => {
  if (skip) { t.skip(skip); return; }
  const files = await editBothWays(['/usr/bin/vim.tiny'], 'vim-edit.txt', async (s) => {
    await s.waitForText(/vim-edit\.txt/);
    const mark = s.screen.length;
    s.send('ihello from vim\rsecond line');
    await s.waitForText(/second line/, mark);
    s.send('\x1b:wq\r');
    const saved = await s.waitForText(/\d+L, \d+B written/, mark);
    return { saved: saved.match(/\d+L, \d+B written/)![0] };
  });
  assert.equal(files.engine, 'hello from vim\nsecond line\n');
  assert.equal(files.engine, files.native);
});

test('nano: type text, ^O saves, ^X exits', async (t) => {
  if (skip) { t.skip(skip); return; }
  const files = await editBothWays(['/bin/nano'], 'nano-edit.txt', async (s) => {
    await s.waitForText(/New File/);
    let mark = s.screen.length;
    s.send('hello from nano\rline two');
    await s.waitForText(/line two/, mark);
    mark = s.screen.length;
    s.send('\x0f');
    await s.waitForText(/File Name to Write/, mark);
    mark = s.screen.length;
    s.send('\r');
    const wrote = await s.waitForText(/Wrote \d+ line/, mark);
    s.send('\x18');
    return { wrote: wrote.match(/Wrote \d+ line/)![0] };
  });
  assert.equal(files.engine, 'hello from nano\nline two\n');
  assert.equal(files.engine, files.native);
});
