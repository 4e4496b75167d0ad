/**
 * Tailscale in the engine's worker: builds the TailscaleNetwork (src/net/tailscale) for a
 * machine and reports it to the page as `network*` events. Loaded by a dynamic import() from
 * engine-host.ts only when `Linux.create` was given a networkInterface, so pages without
 * networking never download the network code.
 */
import { TailscaleNetwork } from '../../net/tailscale/network.js';
import { IdbStateStore } from '../../net/tailscale/store-idb.js';
import { MemoryStore, type StateStore } from '../../net/tailscale/ipn.js';
import type { EventFn, TailscaleSpec } from './protocol.js';

/** Activity events at most this often (the status display's refresh; more would flood postMessage). */
const ACTIVITY_MS = 500;

export interface WorkerNetwork {
  net: TailscaleNetwork;
  close(): void;
}

export async function startTailscale(spec: TailscaleSpec, events: EventFn, onNetMap: (suffix: string) => void): Promise<WorkerNetwork> {
  // IndexedDB exists in browsers' workers; elsewhere (a worker shim in tests) keys live in memory.
  const store: StateStore = typeof indexedDB !== 'undefined' && !spec.ephemeral ? new IdbStateStore(spec.stateName) : new MemoryStore();
  const net = new TailscaleNetwork({
    controlUrl: spec.controlUrl, authKey: spec.authKey, hostname: spec.hostname, ephemeral: spec.ephemeral,
    exitNode: spec.exitNode === undefined ? 'auto' : spec.exitNode, store,
    onState: (state, message) => events({ type: 'networkState', state, message }),
    onLoginUrl: (url) => events({ type: 'networkLoginUrl', url }),
    onNetMap: (map) => { events({ type: 'networkMap', map }); onNetMap(map.magicDNSSuffix); },
    log: (message) => events({ type: 'log', message }),
  });
  let last = { bytesIn: 0, bytesOut: 0 };
  const timer = setInterval(() => {
    const { bytesIn, bytesOut } = net.stats;
    if (bytesIn === last.bytesIn && bytesOut === last.bytesOut) return;
    last = { bytesIn, bytesOut };
    events({ type: 'networkActivity', bytesIn, bytesOut });
  }, ACTIVITY_MS);
  await net.start();
  return { net, close: () => { clearInterval(timer); net.close(); } };
}
