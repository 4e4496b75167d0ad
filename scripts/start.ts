/**
 * `npm start`: the demo. On a fresh clone it builds the default Debian image once (into
 * .cache/images/debian.ext2), bundles the elements (vite → dist/), then serves the demo pages,
 * the bundle and the image from one plain static server (Range requests, no COOP/COEP
 * headers, as any static host would) until Ctrl-C. `npm run shell` is the terminal-only demo.
 *
 * Environment: PORT (default 8080; another free port is used if it is taken), HOST (default
 * 127.0.0.1), WEBX86_REBUILD_IMAGE=1 to rebuild the image.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { imageMain } from '../src/host/node/image/cli.js';
import { serveStatic, type StaticServer } from '../src/host/node/static-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const imagesDir = join(root, '.cache', 'images');
const image = join(imagesDir, 'debian.ext2');
const PAGES: [string, string][] = [
  ['', 'bash with a persistent disk'],
  ['python.html', 'Python REPL'],
  ['cpp.html', 'C++ compiled and run in the page'],
  ['desktop.html', 'Xorg, xterm and i3 on <x-kms-display> (needs .cache/images/desktop.ext2: webx86 image --preset desktop)'],
  ['tailscale.html', 'the VM on your tailnet (<x-tailscale-login>)'],
  ['plain.html', 'only the tags, as a user would write them'],
];

const say = (msg: string) => process.stderr.write(`webx86: ${msg}\n`);

/**
 * Debian ships Python modules without bytecode (postinst compiles it; the image builder runs
 * no postinst), so every interpreter start compiles what it imports: the REPL's imports alone
 * take ~45 s under the engine. Importing them once at build time leaves their .pyc files in
 * the image. Temporary: the image builder should precompile instead.
 */
const PYTHON_WARMUP = 'import rlcompleter, readline, json, sqlite3, hashlib, re, collections, itertools, functools, datetime, random, math, os, subprocess';

/** The image takes half a minute or more (plus downloads on a fresh machine): build it only when missing. */
async function ensureImage(): Promise<void> {
  if (existsSync(image) && process.env.WEBX86_REBUILD_IMAGE !== '1') {
    say(`using ${image} (${Math.round(statSync(image).size / 2 ** 20)} MiB; WEBX86_REBUILD_IMAGE=1 rebuilds it)`);
    return;
  }
  mkdirSync(imagesDir, { recursive: true });
  // Built and prepared under another name, renamed when complete: an interrupted start never
  // leaves a half-made image to be served (and the served image never changes under a browser's
  // persisted overlay).
  const building = `${image}.building`;
  rmSync(building, { force: true });
  say(`building the default Debian image into ${image} (once; packages are cached)`);
  const status = await imageMain(['--out', building]);
  if (status !== 0) throw new Error(`the image build failed (status ${status}); see the messages above`);
  say('compiling the Python modules the REPL imports, in the image (about a minute)');
  await runInImage(building, ['/usr/bin/python3', '-c', PYTHON_WARMUP]);
  renameSync(building, image);
  say(`image ready: ${image} (${Math.round(statSync(image).size / 2 ** 20)} MiB)`);
}

/** Run a program in the engine with `img` mounted read-write (a child process: the CLI owns its stdio). */
function runInImage(img: string, argv: string[]): Promise<void> {
  return runNode([join(root, 'bin', 'webx86.js'), 'run', '--disk', img, '--rw', '--', ...argv], `${argv.join(' ')} in the new image`);
}

/** `node ARGS` in the project root, output to ours; rejects unless it exits with status 0. */
function runNode(args: string[], what: string): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${signal ?? `status ${code}`}; see above)`))));
  });
}

/** The bundle is rebuilt on every start: it takes seconds and dist/ then always matches the source. */
async function buildBundle(): Promise<void> {
  say('bundling the elements (vite build → dist/)');
  const { build } = await import('vite');
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  } catch {
    // vite has printed the errors with their source excerpts; repeating them would bury them.
    throw new Error('vite build failed (see above)');
  }
}

async function serve(): Promise<StaticServer> {
  const routes = { '/': join(root, 'demo'), '/dist/': join(root, 'dist'), '/images/': imagesDir };
  const host = process.env.HOST || '127.0.0.1';
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${process.env.PORT}"`);
  try {
    return await serveStatic({ routes, host, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    say(`port ${port} is in use; using a free one`);
    return serveStatic({ routes, host, port: 0 });
  }
}

async function main(): Promise<void> {
  await ensureImage();
  await buildBundle();
  const server = await serve();
  const width = Math.max(...PAGES.map(([p]) => `${server.url}/${p}`.length));
  process.stdout.write(`\nwebx86 demo at ${server.url}/\n\n`);
  for (const [page, what] of PAGES) process.stdout.write(`  ${`${server.url}/${page}`.padEnd(width)}  ${what}\n`);
  process.stdout.write('\nPress Ctrl-C to stop.\n');
  const stop = () => {
    process.stdout.write('\nwebx86: stopping\n');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  say(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
