/**
 * The relay option's one check, in a module of its own so the page's API (src/api/linux.ts)
 * can validate `Linux.create({ relay })` without pulling the relay backend into the page bundle.
 */

/** Check a page's relay URL; a string says what is wrong, null means it is usable. */
export function checkRelayUrl(url: unknown): string | null {
  if (typeof url !== 'string' || !/^wss?:\/\/[^/\s]+/i.test(url)) return `the relay URL must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`;
  return null;
}
