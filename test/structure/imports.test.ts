/**
 * Imports go one way between layers. Every import in src/ (static, `export … from`, and
 * dynamic `import()`, type-only ones included: a type import still couples the modules) is
 * checked against one table of the layers each area may import from. The table is the
 * architecture (docs/ARCHITECTURE.md "Layers"); a new wrong-way import fails here with the
 * file and the line.
 *
 * KNOWN_DEBT lists the wrong-way imports that exist today (the fs ⇄ linux knot the
 * structure issue removes); the test also fails when one of them disappears, so the list
 * shrinks with the code instead of hiding new debt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/**
 * Areas, lowest first, and what each may import besides itself. An area is a folder of
 * src/engine (engine/cpu…), one of src/net, src/host/node, src/host/worker, src/api,
 * src/elements, or a top-level file (engine/machine, webx86).
 */
const MAY_IMPORT: Record<string, string[]> = {
  'engine/types': [], // ambient declarations
  // Linux's numbers (errno, and the signal/ioctl/flag tables as they move here): a leaf every layer may use.
  'engine/abi': [],
  'engine/net': ['engine/abi'], // the contract between sockets and stacks, and the in-VM loopback stack
  'engine/mem': [],
  // Wait queues and waitAny: how a blocked call sleeps and wakes; every layer that blocks uses them.
  'engine/wait': [],
  // The one wall clock (CLOCK_REALTIME), read by the kernel's clocks and by file times.
  'engine/time': [],
  'engine/block': [],
  'engine/cpu': ['engine/mem'],
  'engine/jit': ['engine/cpu', 'engine/mem'],
  'engine/loader': ['engine/mem'],
  'engine/fs': ['engine/time', 'engine/wait', 'engine/block', 'engine/mem', 'engine/cpu'],
  'engine/linux': ['engine/time', 'engine/wait', 'engine/cpu', 'engine/jit', 'engine/mem', 'engine/fs', 'engine/block', 'engine/loader', 'engine/net'],
  'engine/tty': ['engine/wait', 'engine/fs', 'engine/linux'],
  // The display (DRM/KMS device, evdev input) and its contract with the host: devices above the kernel, as tty.
  'engine/display': ['engine/abi', 'engine/time', 'engine/wait', 'engine/mem', 'engine/fs', 'engine/linux'],
  // File systems that show the kernel's state (/proc, /sys): above the kernel, as gVisor's fsimpl/proc.
  'engine/kernfs': ['engine/time', 'engine/fs', 'engine/linux', 'engine/mem', 'engine/cpu', 'engine/wait'],
  'engine/machine': ['engine/*'],
  'engine/machine-mounts': ['engine/*'],
  // The network above the kernel's socket layer: IP stack, WireGuard, DERP, Tailscale.
  net: ['engine/net', 'engine/abi'],
  'host/worker': ['engine/*', 'net'],
  'host/node': ['engine/*', 'net', 'host/worker'],
  api: ['host/worker'],
  elements: ['api', 'host/worker'],
  webx86: ['api', 'elements'],
};

/** Of host/worker, the page side may use only the protocol (types and shared constants) and the worker's URL. */
const PAGE_MAY_USE_FROM_WORKER = new Set(['host/worker/protocol.ts', 'host/worker/worker.ts']);
/** Engine modules the page side loads itself: IDBDevice.reset() deletes its database without a worker. */
const PAGE_MAY_USE_FROM_ENGINE = new Set(['engine/block/idb.ts']);

/** Packages the engine may import (it runs in a Web Worker and in Node without Node APIs). */
const ENGINE_PACKAGES = [/^idb$/, /^binaryen$/, /^@noble\//];

/** Wrong-way imports that exist today: `file -> target area`. Remove a line when its import goes. */
const KNOWN_DEBT = new Set<string>([
]);

function areaOf(rel: string): string {
  const parts = rel.replace(/\.(d\.)?ts$/, '').split('/');
  if (parts[0] === 'engine' || parts[0] === 'host') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : `${parts[0]}/${parts[1]}`;
  return parts[0];
}

function allowed(from: string, to: string): boolean {
  if (from === to || to === 'engine/abi') return true;
  return (MAY_IMPORT[from] ?? []).some((a) => a === to || (a.endsWith('/*') && to.startsWith(a.slice(0, -1))));
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (name.endsWith('.ts')) yield p;
  }
}

interface Import { spec: string; line: number }

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineOf = (pos: number) => { let n = 0; while (n + 1 < starts.length && starts[n + 1] <= pos) n++; return n + 1; };
  return info.importedFiles.map((f) => ({ spec: f.fileName, line: lineOf(f.pos) }));
}

test('imports between layers go one way (and the known debt is exactly what is left)', () => {
  const wrong: string[] = [];
  const debtSeen = new Set<string>();
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    const from = areaOf(rel);
    assert.ok(from in MAY_IMPORT || from === 'vite-env' || from === 'engine/types', `${rel}: area ${from} is not in the layer table (add it to MAY_IMPORT and docs/ARCHITECTURE.md)`);
    for (const { spec, line } of importsOf(file)) {
      if (!spec.startsWith('.')) {
        if (from.startsWith('engine/') && (spec.startsWith('node:') || !ENGINE_PACKAGES.some((re) => re.test(spec)))) {
          wrong.push(`${rel}:${line} imports package '${spec}' (the engine runs in a Web Worker: no Node modules, only ${ENGINE_PACKAGES.join(' ')})`);
        }
        continue;
      }
      const target = relative(SRC, resolve(dirname(file), spec.replace(/\?.*$/, ''))).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) continue;
      const to = areaOf(target);
      if ((from === 'api' || from === 'elements') && to === 'host/worker' && !PAGE_MAY_USE_FROM_WORKER.has(target)) {
        wrong.push(`${rel}:${line} imports ${target}: the page side may use only the worker protocol`);
        continue;
      }
      if (allowed(from, to)) continue;
      if ((from === 'api' || from === 'elements') && PAGE_MAY_USE_FROM_ENGINE.has(target)) continue;
      const key = `${rel} -> ${to}`;
      if (KNOWN_DEBT.has(key)) { debtSeen.add(key); continue; }
      wrong.push(`${rel}:${line} (${from}) imports ${target} (${to}), which ${from} may not use`);
    }
  }
  assert.deepEqual(wrong, [], `wrong-way imports:\n${wrong.join('\n')}`);
  const gone = [...KNOWN_DEBT].filter((k) => !debtSeen.has(k));
  assert.deepEqual(gone, [], 'these known wrong-way imports are gone: remove them from KNOWN_DEBT');
});
