/**
 * `npm run docs:elements`: the API tables of docs/elements/<tag>.md, from custom-elements.json
 * (`npm run manifest`). Each page keeps its prose; the tables between
 * `<!-- api:start -->` and `<!-- api:end -->` are replaced. `--check` writes nothing and exits 1
 * naming the stale pages (test/structure/elements-api.test.ts runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const START = '<!-- api:start -->';
export const END = '<!-- api:end -->';

// The parts of the manifest schema (custom-elements-manifest 2.x) the tables use.
interface Typed { name: string; description?: string; type?: { text: string }; default?: string }
interface Member extends Typed { kind: 'field' | 'method'; privacy?: string; static?: boolean; readonly?: boolean; attribute?: string }
interface Attribute extends Typed { fieldName?: string }
export interface ElementDecl {
  name: string;
  tagName: string;
  customElement?: boolean;
  summary?: string;
  attributes?: Attribute[];
  members?: Member[];
  events?: Typed[];
  slots?: Typed[];
  cssParts?: Typed[];
  cssProperties?: Typed[];
}
export interface Manifest { modules: { path: string; declarations?: ElementDecl[] }[] }

export function readManifest(file = `${root}custom-elements.json`): Manifest {
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** The custom elements of a manifest, by tag. */
export function elementsOf(manifest: Manifest): ElementDecl[] {
  return manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.customElement && d.tagName);
}

export function pageOf(tag: string): string {
  return `${root}docs/elements/${tag}.md`;
}

/** One table cell: on one line, pipes escaped. */
function cell(text: string | undefined): string {
  return (text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}
const code = (s: string | undefined) => (s ? `\`${cell(s)}\`` : '—');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The generated part of a page: attributes and properties, events, slots, CSS parts and custom properties. */
export function renderApi(el: ElementDecl): string {
  const out: string[] = [START, '<!-- Generated from custom-elements.json by `npm run docs:elements`; edit the JSDoc in the source. -->', ''];
  const fields = (el.members ?? []).filter((m) => m.kind === 'field' && !m.static && (m.privacy ?? 'public') === 'public');
  const attrs = el.attributes ?? [];
  const rows: string[][] = [];
  for (const a of attrs) {
    const f = fields.find((m) => m.name === a.fieldName);
    rows.push([code(a.name), f ? code(f.name) : '—', code(a.type?.text ?? f?.type?.text), code(f?.default ?? a.default), cell(a.description ?? f?.description)]);
  }
  for (const f of fields) {
    if (attrs.some((a) => a.fieldName === f.name)) continue;
    const type = `${code(f.type?.text)}${f.readonly ? ' (read-only)' : ''}`;
    rows.push(['—', code(f.name), type, code(f.default), cell(f.description)]);
  }
  out.push('### Attributes and properties', '');
  out.push(rows.length ? table(['Attribute', 'Property', 'Type', 'Default', 'Description'], rows) : 'None.', '');
  out.push('### Events', '');
  if (el.events?.length) {
    out.push('All bubble and are composed (they cross shadow roots); the types are in `src/elements/events.ts` and in `HTMLElementEventMap`.', '');
    out.push(table(['Event', 'Type', 'Description'], el.events.map((e) => [code(e.name), code(e.type?.text), cell(e.description)])), '');
  } else {
    out.push('None of its own.', '');
  }
  if (el.slots?.length) {
    out.push('### Slots', '', table(['Slot', 'Description'], el.slots.map((s) => [s.name ? code(s.name) : '(default)', cell(s.description)])), '');
  }
  if (el.cssParts?.length) {
    out.push('### CSS parts', '', table(['Part', 'Description'], el.cssParts.map((p) => [code(p.name), cell(p.description)])), '');
  }
  if (el.cssProperties?.length) {
    out.push('### CSS custom properties', '', table(['Property', 'Default', 'Description'], el.cssProperties.map((p) => [code(p.name), code(p.default), cell(p.description)])), '');
  }
  out.push(END);
  return out.join('\n');
}

/** The page with its generated part replaced; throws naming the page if it has no markers. */
export function updatePage(text: string, el: ElementDecl, where: string): string {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${where}: no ${START} … ${END} block for <${el.tagName}>'s API tables; add one where the tables go`);
  return text.slice(0, a) + renderApi(el) + text.slice(b + END.length);
}

/** Pages whose tables differ from the manifest (all of them are rewritten unless `check`). */
export function syncPages(manifest: Manifest, check: boolean): string[] {
  const stale: string[] = [];
  for (const el of elementsOf(manifest)) {
    const page = pageOf(el.tagName);
    let text: string;
    try {
      text = readFileSync(page, 'utf8');
    } catch {
      throw new Error(`<${el.tagName}> has no page ${page.slice(root.length)}: write one (prose, then ${START}${END})`);
    }
    const next = updatePage(text, el, page.slice(root.length));
    if (next === text) continue;
    stale.push(page.slice(root.length));
    if (!check) writeFileSync(page, next);
  }
  return stale;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = syncPages(readManifest(), check);
  if (check && stale.length) {
    console.error(`stale element docs (run npm run manifest && npm run docs:elements): ${stale.join(', ')}`);
    process.exit(1);
  }
  for (const p of stale) console.log(`updated ${p}`);
}
