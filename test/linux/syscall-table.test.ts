/**
 * The system call table: every handler answers a real i386 system call (a misspelt name
 * would silently leave the call at ENOSYS), every status row names one that exists, and
 * docs/SYSCALLS.md is what `webx86 syscalls --markdown` prints now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HANDLERS } from '../../src/engine/linux/syscalls/index.js';
import { SYSCALL_NAMES } from '../../src/engine/linux/syscalls/numbers.js';
import { renderSyscallTable, statusErrors, syscallRows } from '../../src/engine/linux/syscalls/status.js';

test('every handler is named after an i386 system call', () => {
  const names = new Set(Object.values(SYSCALL_NAMES));
  assert.deepEqual([...HANDLERS.keys()].filter((n) => !names.has(n)), []);
});

test('every status row names an i386 system call, and none claims support without a handler', () => {
  assert.deepEqual(statusErrors(), []);
});

test('calls without a handler are reported as ENOSYS, the rest by their status', () => {
  const rows = syscallRows();
  assert.equal(rows.length, Object.keys(SYSCALL_NAMES).length);
  for (const r of rows) assert.equal(r.support === 'none', !HANDLERS.has(r.name), r.name);
  assert.equal(rows.find((r) => r.name === 'openat')?.support, 'full');
  assert.equal(rows.find((r) => r.name === 'break')?.support, 'none');
  assert.equal(rows.find((r) => r.name === 'vm86')?.support, 'refused');
});

test('docs/SYSCALLS.md is up to date (regenerate: webx86 syscalls --markdown > docs/SYSCALLS.md)', () => {
  const doc = readFileSync(new URL('../../docs/SYSCALLS.md', import.meta.url), 'utf8');
  assert.equal(doc, renderSyscallTable('markdown'));
});
