/**
 * deb-control(5) syntax: stanzas of "Field: value" lines (continuation lines start with a
 * space or tab), and the relationship fields (Debian Policy 7.1): comma-separated AND of
 * '|'-separated alternatives, each `name[:archqual] [(op version)] [[arch list]] [<profiles>]`.
 */
import type { VersionOp } from './debversion.js';

export interface Stanza {
  /** Field names as written; look-ups go through get(), which ignores case. */
  fields: Map<string, string>;
  /** The stanza's text, as in the file (for /var/lib/dpkg/status). */
  text: string;
}

export function field(s: Stanza, name: string): string | undefined {
  return s.fields.get(name.toLowerCase());
}

/** Split a control file (Packages index, status file, a .deb's control) into stanzas. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let fields = new Map<string, string>();
  let lines: string[] = [];
  let last: string | null = null;
  const flush = () => {
    if (fields.size) out.push({ fields, text: lines.join('\n') + '\n' });
    fields = new Map(); lines = []; last = null;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') { flush(); continue; }
    if (line.startsWith('#')) continue;
    lines.push(line);
    if (line[0] === ' ' || line[0] === '\t') {
      if (last !== null) fields.set(last, fields.get(last) + '\n' + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad control line: '${line}'`);
    last = line.slice(0, colon).toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  flush();
  return out;
}

export interface Dependency {
  name: string;
  /** 'any', 'native' or an architecture name, when written as name:qual. */
  archQual?: string;
  op?: VersionOp;
  version?: string;
  /** Architecture restriction list ([i386 !amd64]); undefined when absent. */
  arches?: string[];
}

/** An AND list of OR groups. */
export type Relation = Dependency[][];

const OPS: Record<string, VersionOp> = { '<<': '<<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>>', '<': '<=', '>': '>=' };

export function parseDependency(text: string): Dependency {
  const m = /^([a-z0-9][a-z0-9+.\-]*)(?::([a-z0-9\-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^)\s]+)\s*\))?\s*(?:\[([^\]]*)\])?\s*(?:<.*>)?\s*$/i.exec(text.trim());
  if (!m) throw new Error(`bad relation '${text.trim()}'`);
  const d: Dependency = { name: m[1].toLowerCase() };
  if (m[2]) d.archQual = m[2];
  if (m[3]) { d.op = OPS[m[3]]; d.version = m[4]; }
  if (m[5] !== undefined) d.arches = m[5].trim().split(/\s+/).filter(Boolean);
  return d;
}

export function parseRelation(text: string | undefined): Relation {
  if (!text) return [];
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((group) => group.split('|').map(parseDependency));
}

/** True if an [arch list] admits `arch` (a list of only negations admits everything not named). */
export function archListAdmits(list: string[] | undefined, arch: string): boolean {
  if (!list || list.length === 0) return true;
  const neg = list.filter((a) => a.startsWith('!'));
  if (neg.length === list.length) return !neg.some((a) => a.slice(1) === arch || a.slice(1) === 'any');
  return list.some((a) => a === arch || a === 'any' || a === `linux-${arch}` || a === `any-${arch}` || a === `linux-any`);
}
