/**
 * Attribute syntaxes the elements share, so `<x-vm args>` and `<x-terminal args>` read alike.
 */

/** `args`/`env` syntax: a JSON array of strings when it starts with `[`, else whitespace-separated words. */
export function parseList(value: string | null | undefined, name: string): string[] {
  const text = (value ?? '').trim();
  if (!text) return [];
  if (!text.startsWith('[')) return text.split(/\s+/);
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new Error(`the ${name} attribute starts with "[" but is not a JSON array of strings: ${text}`);
  }
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw new Error(`the ${name} attribute must be a JSON array of strings`);
  }
  return list;
}

/** `over` laid over `base`: KEY=VALUE entries replace those of the same KEY, new ones are added. */
export function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const env = new Map(base.map((e) => [e.slice(0, e.indexOf('=')), e]));
  for (const e of over) env.set(e.slice(0, e.indexOf('=')), e);
  return [...env.values()];
}
