/** Waiting helpers and the test environment shared by the browser tests. */

/** URLs of the second static origin (test/support/browser-servers.ts), served as /test-env.json. */
export interface TestEnv { origin2: string; image: string; bundle2: string; statsUrl: string; faultyImage: string; faultUrl: string; desktopImageUrl: string; logUrl: string; derpUrl?: string; derpSkip?: string; controlUrl?: string; controlAuthKey?: string; controlInteractiveUrl?: string; relayUrl?: string; relayAllowed?: string; relayRefused?: string; relaySkip?: string }

export async function loadTestEnv(): Promise<TestEnv> {
  return (await fetch('/test-env.json')).json();
}

/** Resolve when `cond()` holds, polling; reject naming `what` after `ms` (a deadline, not a delay the test relies on). */
export async function until(cond: () => boolean, what: () => string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function nextEvent<T = unknown>(el: EventTarget, name: string): Promise<CustomEvent<T>> {
  return new Promise((resolve) => el.addEventListener(name, (e) => resolve(e as CustomEvent<T>), { once: true }));
}
