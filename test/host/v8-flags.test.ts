/**
 * WEBX86_V8_FLAGS (src/host/node/v8-flags.ts): unset gives the host's default V8 flags, "off"
 * none, any other value its own flags; a word that is not a flag is refused with its name
 * (V8 itself only warns about a flag it does not know and runs on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_V8_FLAGS, parseV8Flags } from '../../src/host/node/v8-flags.js';

test('unset: the default flags; off: none; a value: its flags', () => {
  assert.deepEqual(parseV8Flags(undefined), DEFAULT_V8_FLAGS.split(' ').filter((x) => x !== ''));
  assert.deepEqual(parseV8Flags('--liftoff-only'), ['--liftoff-only']);
  assert.deepEqual(parseV8Flags('off'), []);
  assert.deepEqual(parseV8Flags(''), []);
  assert.deepEqual(parseV8Flags(' --wasm-tiering-budget=18000000  --no-liftoff '), ['--wasm-tiering-budget=18000000', '--no-liftoff']);
});

test('a word that is not a flag is named in the error', () => {
  assert.throws(() => parseV8Flags('--liftoff-only turbo'), /WEBX86_V8_FLAGS: "turbo" is not a V8 flag/);
  assert.throws(() => parseV8Flags('-liftoff'), /"-liftoff" is not a V8 flag/);
  assert.throws(() => parseV8Flags('--wasm-tiering-budget='), /"--wasm-tiering-budget=" is not a V8 flag/);
});
