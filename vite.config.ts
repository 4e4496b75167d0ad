/**
 * `npm run build` → dist/webx86.js, one ES module that defines every element when
 * imported, plus chunks it loads by relative URL (the engine worker under dist/assets).
 * `base: './'` keeps every URL relative to the module itself, so the bundle works from any
 * path or from another origin (a CDN); the worker is then started through a same-origin
 * blob (src/api/worker-client.ts).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
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
  worker: { format: 'es' },
});
