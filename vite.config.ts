/**
 * `npm run build` → dist/webx86.js, one ES module that defines every element when
 * imported, plus chunks it loads by relative URL (the engine worker under dist/assets).
 * `base: './'` keeps every URL relative to the module itself, so the bundle works from any
 * path or from another origin (a CDN); the worker is then started through a same-origin
 * blob (src/api/worker-client.ts).
 *
 * binaryen (the JIT's compiler) is its own chunk, imported by the worker only when code
 * gets hot, and its WebAssembly a file of its own, instantiated by streaming so browsers
 * cache its compiled code (scripts/binaryen-wasm-split.ts). It gets no source map (its map was 33 MB for a file nobody debugs here), and
 * the build ends by writing .br/.gz copies of the chunks (scripts/precompress.ts) for
 * servers that send them precompressed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { transform } from 'esbuild';
import { defineConfig, type Plugin } from 'vite';
import { precompress } from './scripts/precompress.js';
import { binaryenWasmSplit } from './scripts/binaryen-wasm-split.js';
import { browserTranslatorVersion } from './src/host/node/translation-store.js';

/** Chunks that ship without a source map: third-party code too large to map usefully. */
const NO_SOURCEMAP = /^(assets\/)?binaryen-(?!wasm-)[\w-]+\.js$/;

function dropSourcemaps(): Plugin {
  return {
    name: 'webx86-drop-sourcemaps',
    // Workers are built by a nested build that runs the same plugins.
    generateBundle(_, bundle) {
      for (const [file, out] of Object.entries(bundle)) {
        if (!NO_SOURCEMAP.test(file)) continue;
        if (out.type === 'chunk') {
          out.map = null;
          out.code = out.code.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
        }
        delete bundle[`${file}.map`];
      }
    },
  };
}

/**
 * The elements declare their attributes once, as lit's standard decorators on `accessor`
 * fields (`@property({ type: String }) accessor cmd = '/bin/bash'`), which the custom
 * elements manifest reads. Vite 8's transformer (Oxc) passes standard decorators through
 * unlowered (seen in its output). Chromium 156 runs them natively (the browser tests pass
 * on an unlowered bundle), but not every browser a page may meet does, so those files go
 * through esbuild first, which lowers them to plain ES2022 that runs wherever the rest of
 * the bundle does. test/structure/bundle-syntax.test.ts checks the bundle has no decorator.
 */
function lowerDecorators(): Plugin {
  return {
    name: 'webx86-lower-decorators',
    enforce: 'pre',
    async transform(code, id) {
      if (!/\/src\/elements\/[\w-]+\.ts$/.test(id) || !code.includes('accessor ')) return null;
      const out = await transform(code, { loader: 'ts', target: 'es2022', sourcemap: true, sourcefile: id });
      return { code: out.code, map: out.map };
    },
  };
}

function precompressDist(): Plugin {
  // The resolved output directory: Storybook's build reuses this config with its own.
  let outDir = 'dist';
  return {
    name: 'webx86-precompress',
    apply: 'build',
    configResolved(config) { outDir = resolve(config.root, config.build.outDir); },
    async closeBundle() {
      if (!existsSync(outDir)) return;
      const rows = await precompress(outDir);
      const big = rows.filter((r) => r.bytes > 1 << 20).map((r) => `${r.file} ${(r.bytes / 1e6).toFixed(1)} MB → br ${(r.br / 1e6).toFixed(2)} MB, gz ${(r.gz / 1e6).toFixed(2)} MB`);
      if (big.length) this.info?.(`precompressed: ${big.join('; ')}`);
    },
  };
}

export default defineConfig({
  base: './',
  // The JIT's translator version for the page's translation cache (src/host/worker/translation-store.ts):
  // a hash of the translator's sources, so a rebuilt translator never reads an older build's records.
  define: { __WEBX86_JIT_VERSION__: JSON.stringify(browserTranslatorVersion()) },
  plugins: [lowerDecorators(), precompressDist()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: true,
    lib: {
      entry: 'src/webx86.ts',
      formats: ['es'],
      fileName: () => 'webx86.js',
    },
    rollupOptions: {
      output: { chunkFileNames: '[name]-[hash].js' },
    },
  },
  worker: { format: 'es', plugins: () => [binaryenWasmSplit(), dropSourcemaps()] },
});
