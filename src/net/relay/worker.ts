/**
 * The relay backend as the engine's worker starts it from the page's options: the one place
 * that turns `{ kind: 'relay', url }` (the worker protocol's network setting) into the
 * machine's NetStack. Loaded with import() only when a page asks for the relay, so a page
 * without networking downloads none of src/net/relay.
 */
import { RelayStack } from './stack.js';
import { checkRelayUrl } from './url.js';

/** The network setting for the relay (next to the Tailscale one in the worker protocol). */
export interface RelaySpec {
  kind: 'relay';
  /** ws:// or wss:// URL of a `webx86 relay`. */
  url: string;
}

export { checkRelayUrl };

/** The machine's backend for `spec`; `log` gets the link's events (connected, lost and why). */
export function startRelay(spec: RelaySpec, log: (message: string) => void): RelayStack {
  const bad = checkRelayUrl(spec.url);
  if (bad) throw new Error(bad);
  return new RelayStack({ url: spec.url, log });
}
