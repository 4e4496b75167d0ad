/**
 * Dependency resolution over a Packages index (Debian Policy ch. 7, the multiarch spec):
 * Pre-Depends and Depends are followed; each OR group is satisfied by a package already chosen
 * if one fits, else by its first installable alternative (a real package of that name whose
 * version fits, else a provider of that virtual name). Recommends and Suggests are not
 * installed (as apt --no-install-recommends). There is no backtracking: Conflicts and Breaks
 * among the chosen set are reported as warnings.
 */
import { type Stanza, type Dependency, type Relation, field, parseRelation, parseStanzas, archListAdmits } from './control.js';
import { compareVersions, satisfiesVersion } from './debversion.js';

export interface Package {
  name: string;
  version: string;
  arch: string;
  multiArch: 'no' | 'same' | 'foreign' | 'allowed';
  essential: boolean;
  priority: string;
  preDepends: Relation;
  depends: Relation;
  conflicts: Relation;
  breaks: Relation;
  provides: { name: string; version?: string }[];
  filename: string;
  size: number;
  installedSize: number;
  sha256: string;
  stanza: Stanza;
}

const PRIORITY_RANK: Record<string, number> = { required: 0, important: 1, standard: 2, optional: 3, extra: 4 };

export class PackageIndex {
  readonly byName = new Map<string, Package[]>();
  readonly providers = new Map<string, { pkg: Package; version?: string }[]>();

  constructor(readonly arch: string) {}

  static parse(text: string, arch: string): PackageIndex {
    const idx = new PackageIndex(arch);
    for (const s of parseStanzas(text)) idx.add(s);
    return idx;
  }

  add(s: Stanza): void {
    const get = (f: string) => field(s, f);
    const arch = get('Architecture') ?? 'all';
    if (arch !== this.arch && arch !== 'all') return;
    const pkg: Package = {
      name: get('Package')!,
      version: get('Version')!,
      arch,
      multiArch: (get('Multi-Arch') ?? 'no') as Package['multiArch'],
      essential: get('Essential') === 'yes',
      priority: get('Priority') ?? 'optional',
      preDepends: parseRelation(get('Pre-Depends')),
      depends: parseRelation(get('Depends')),
      conflicts: parseRelation(get('Conflicts')),
      breaks: parseRelation(get('Breaks')),
      provides: parseRelation(get('Provides')).map((g) => ({ name: g[0].name, version: g[0].op === '=' ? g[0].version : undefined })),
      filename: get('Filename') ?? '',
      size: Number(get('Size') ?? 0),
      installedSize: Number(get('Installed-Size') ?? 0),
      sha256: get('SHA256') ?? '',
      stanza: s,
    };
    if (!pkg.name || !pkg.version) throw new Error('Packages stanza without Package or Version');
    const list = this.byName.get(pkg.name) ?? [];
    list.push(pkg);
    // Newest first, so the first fitting candidate is the one apt would take.
    list.sort((a, b) => compareVersions(b.version, a.version));
    this.byName.set(pkg.name, list);
    for (const p of pkg.provides) {
      const l = this.providers.get(p.name) ?? [];
      l.push({ pkg, version: p.version });
      this.providers.set(p.name, l);
    }
  }

  /** Does `pkg` meet the architecture qualifier of a dependency (multiarch spec)? */
  archOk(pkg: Package, qual: string | undefined): boolean {
    const native = pkg.arch === this.arch || pkg.arch === 'all';
    if (!qual || qual === 'native') return native || pkg.multiArch === 'foreign';
    // name:any is met by the native package, or by any architecture's if it is Multi-Arch: allowed.
    if (qual === 'any') return native || pkg.multiArch === 'allowed' || pkg.multiArch === 'foreign';
    return pkg.arch === qual || (pkg.arch === 'all' && qual === this.arch);
  }

  /** Real packages that satisfy one alternative, best first. */
  realCandidates(d: Dependency): Package[] {
    return (this.byName.get(d.name) ?? []).filter((p) =>
      this.archOk(p, d.archQual) && (!d.op || satisfiesVersion(p.version, d.op, d.version!)));
  }

  /** Packages that provide the alternative's name with a fitting version (unversioned Provides meet only unversioned dependencies). */
  providerCandidates(d: Dependency): Package[] {
    const list = (this.providers.get(d.name) ?? []).filter((e) =>
      (!d.op || (e.version !== undefined && satisfiesVersion(e.version, d.op, d.version!))) &&
      // A :any dependency through Provides needs a provider that may satisfy other architectures.
      (d.archQual !== 'any' || e.pkg.multiArch === 'allowed' || e.pkg.multiArch === 'foreign' || e.pkg.arch === this.arch || e.pkg.arch === 'all'));
    return list.map((e) => e.pkg).sort((a, b) =>
      (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.name.localeCompare(b.name));
  }
}

export class UnknownPackageError extends Error {}

export interface Resolution {
  packages: Package[];
  warnings: string[];
}

/** Parse a request "name", "name:arch" or "name=version". */
function requestDep(req: string): Dependency {
  const eq = req.indexOf('=');
  const [nq, version] = eq >= 0 ? [req.slice(0, eq), req.slice(eq + 1)] : [req, undefined];
  const [name, archQual] = nq.split(':');
  return { name: name.toLowerCase(), archQual, op: version ? '=' : undefined, version };
}

/**
 * Choose the packages to install for `requests` (plus, with `base`, every Essential: yes and
 * Priority: required package), in the order they were chosen. `exclude` names packages left
 * out even where something depends on them (a dependency they alone satisfy is reported as a
 * warning): libraries a program links but never loads in a given use, as Mesa's DRI drivers
 * and LLVM under an Xorg with glamor and GLX off.
 */
export function resolve(idx: PackageIndex, requests: string[], o: { base?: boolean; prefer?: string[]; exclude?: string[] } = {}): Resolution {
  const prefer = new Set(o.prefer ?? []);
  const exclude = new Set(o.exclude ?? []);
  const chosen = new Map<string, Package>();
  const order: Package[] = [];
  const warnings: string[] = [];
  const queue: Package[] = [];
  const provided = new Map<string, { pkg: Package; version?: string }[]>();
  const choose = (p: Package) => {
    if (chosen.has(p.name)) return;
    chosen.set(p.name, p);
    order.push(p);
    queue.push(p);
    for (const pv of p.provides) {
      const l = provided.get(pv.name) ?? [];
      l.push({ pkg: p, version: pv.version });
      provided.set(pv.name, l);
    }
  };
  const satisfied = (d: Dependency): boolean => {
    const p = chosen.get(d.name);
    if (p && idx.archOk(p, d.archQual) && (!d.op || satisfiesVersion(p.version, d.op, d.version!))) return true;
    return (provided.get(d.name) ?? []).some((e) => !d.op || (e.version !== undefined && satisfiesVersion(e.version, d.op, d.version!)));
  };
  const describe = (d: Dependency) => `${d.name}${d.archQual ? ':' + d.archQual : ''}${d.op ? ` (${d.op} ${d.version})` : ''}`;

  for (const req of requests) {
    const d = requestDep(req);
    const real = idx.realCandidates(d);
    if (real.length) { choose(real[0]); continue; }
    const prov = idx.providerCandidates(d);
    if (prov.length) { choose(prov[0]); continue; }
    const near = idx.byName.has(d.name) ? ` (versions: ${idx.byName.get(d.name)!.map((p) => p.version).join(', ')})` : '';
    throw new UnknownPackageError(`unknown package '${req}' for ${idx.arch}${near}`);
  }
  if (o.base) {
    const base = [...idx.byName.values()].map((l) => l[0]).filter((p) => p.essential || p.priority === 'required');
    base.sort((a, b) => a.name.localeCompare(b.name));
    for (const p of base) choose(p);
  }
  while (queue.length) {
    const p = queue.shift()!;
    for (const group of [...p.preDepends, ...p.depends]) {
      const alts = group.filter((d) => archListAdmits(d.arches, idx.arch));
      if (alts.length === 0 || alts.some(satisfied)) continue;
      let pick: Package | undefined;
      // A preferred alternative goes first (the builder prefers usr-is-merged over usrmerge:
      // its tree is merged already, as debootstrap's is).
      const ordered = [...alts.filter((d) => prefer.has(d.name)), ...alts.filter((d) => !prefer.has(d.name))];
      let excluded = false;
      for (const d of ordered) {
        pick = idx.realCandidates(d)[0] ?? idx.providerCandidates(d)[0];
        if (pick && exclude.has(pick.name)) { excluded = true; pick = undefined; continue; }
        if (pick) break;
      }
      if (!pick && excluded) {
        warnings.push(`${p.name}: dependency ${alts.map(describe).join(' | ')} left out (excluded)`);
        continue;
      }
      if (!pick) {
        warnings.push(`${p.name}: dependency ${alts.map(describe).join(' | ')} cannot be satisfied`);
        continue;
      }
      if (chosen.has(pick.name)) {
        warnings.push(`${p.name}: dependency ${alts.map(describe).join(' | ')} not met by ${pick.name} ${chosen.get(pick.name)!.version}`);
        continue;
      }
      choose(pick);
    }
  }
  for (const p of order) {
    for (const [kind, rel] of [['conflicts with', p.conflicts], ['breaks', p.breaks]] as const) {
      for (const group of rel) for (const d of group) {
        const q = chosen.get(d.name);
        if (q && q !== p && idx.archOk(q, d.archQual) && (!d.op || satisfiesVersion(q.version, d.op, d.version!))) {
          warnings.push(`${p.name} ${kind} ${q.name} ${q.version}; both installed`);
        }
      }
    }
  }
  return { packages: order, warnings };
}
