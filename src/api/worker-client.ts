/**
 * Starting the engine's worker. Browsers refuse `new Worker(url)` for a script of another
 * origin, which is exactly the case when the bundle comes from a CDN; a worker made from a
 * same-origin blob that imports the real module works everywhere (the module is fetched
 * with CORS like any cross-origin module script). Same-origin bundles start it directly.
 */
import workerUrl from '../host/worker/worker.ts?worker&url';

export interface StartedWorker {
  worker: Worker;
  /** Rejects with a readable message if the worker fails to load or crashes. */
  failed: Promise<never>;
  /** Release what starting needed (the blob URL) once the worker has answered. */
  started(): void;
}

export function startWorker(): StartedWorker {
  const url = new URL(workerUrl, import.meta.url);
  let blobUrl: string | null = null;
  let worker: Worker;
  if (url.origin === location.origin) {
    worker = new Worker(url, { type: 'module', name: 'webx86-engine' });
  } else {
    blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' }));
    worker = new Worker(blobUrl, { type: 'module', name: 'webx86-engine' });
  }
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      reject(new Error(`the webx86 engine worker failed to start or crashed${e.message ? `: ${e.message}` : ''} (loading ${url.href})`));
    });
  });
  failed.catch(() => {});
  return {
    worker,
    failed,
    started: () => { if (blobUrl) { URL.revokeObjectURL(blobUrl); blobUrl = null; } },
  };
}
