/**
 * The elements' API is written once (JSDoc in src/elements) and everything else follows it:
 * - custom-elements.json is what the analyzer makes of the source now (`npm run manifest`);
 * - the API tables of docs/elements/*.md are what the manifest says (`npm run docs:elements`);
 * - independently of the JSDoc, the manifest lists exactly the attributes the classes observe
 *   (their lit `@property` fields, less `attribute: false`) and the events their code fires
 *   (`emit(this, 'name', …)`), under the tag each module passes to `define()`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
// @ts-expect-error the analyzer ships no types for its CLI module
import { cli } from '@custom-elements-manifest/analyzer/cli.js';
import { elementsOf, readManifest, syncPages, type ElementDecl, type Manifest } from '../../scripts/docs-elements.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ELEMENTS = join(ROOT, 'src/elements');

test('custom-elements.json is fresh (npm run manifest)', async () => {
  const fresh = (await cli({ argv: ['analyze', '--config', 'custom-elements-manifest.config.js', '--quiet'], cwd: ROOT, noWrite: true })) as Manifest;
  const committed = readManifest();
  assert.deepEqual(committed, JSON.parse(JSON.stringify(fresh)), 'custom-elements.json differs from the source: run npm run manifest && npm run docs:elements');
});

test('docs/elements pages have the manifest\'s tables (npm run docs:elements)', () => {
  assert.deepEqual(syncPages(readManifest(), true), [], 'these pages are stale: run npm run docs:elements');
});

test('package.json ships the manifest it points at', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { customElements?: string; files?: string[] };
  assert.equal(pkg.customElements, 'custom-elements.json');
  assert.ok(pkg.files?.includes('custom-elements.json'), 'package.json "files" must include custom-elements.json');
});

/** What an element's source does, read from its AST: tag, observed attributes, fired events. */
interface Observed { className: string; tag: string; attributes: Set<string>; readAttributes: Set<string>; events: Set<string> }

function observe(file: string): Observed[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const classes = new Map<string, Observed>();
  const tags = new Map<string, string>();
  const str = (n: ts.Node | undefined) => (n && ts.isStringLiteralLike(n) ? n.text : undefined);
  let current: Observed | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isClassDeclaration(n) && n.name) {
      const outer = current;
      current = { className: n.name.text, tag: '', attributes: new Set(), readAttributes: new Set(), events: new Set() };
      classes.set(n.name.text, current);
      ts.forEachChild(n, visit);
      current = outer;
      return;
    }
    // `@property({ …options }) accessor name`: lit observes the lowercased name, or `attribute: 'x'`,
    // unless attribute: false; `@state()` is internal state (no attribute).
    if (current && ts.isPropertyDeclaration(n) && ts.canHaveDecorators(n)) {
      for (const d of ts.getDecorators(n) ?? []) {
        if (!ts.isCallExpression(d.expression) || d.expression.expression.getText() !== 'property') continue;
        const arg = d.expression.arguments[0];
        const opt = new Map(arg && ts.isObjectLiteralExpression(arg) ? arg.properties.filter(ts.isPropertyAssignment).map((o) => [o.name.getText(), o.initializer]) : []);
        if (opt.get('attribute')?.kind === ts.SyntaxKind.FalseKeyword) continue;
        current.attributes.add(str(opt.get('attribute')) ?? n.name.getText().toLowerCase());
      }
    }
    if (ts.isCallExpression(n)) {
      const callee = n.expression.getText();
      if (current && callee === 'emit' && str(n.arguments[1])) current.events.add(str(n.arguments[1])!);
      if (current && /(^|\.)dispatchEvent$/.test(callee)) {
        const arg = n.arguments[0];
        if (arg && ts.isNewExpression(arg) && str(arg.arguments?.[0])) current.events.add(str(arg.arguments![0])!);
      }
      if (current && /^this\.(get|has)Attribute$/.test(callee) && str(n.arguments[0])) current.readAttributes.add(str(n.arguments[0])!);
      if (callee === 'define' && str(n.arguments[0])) tags.set(n.arguments[1].getText(), str(n.arguments[0])!);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const out: Observed[] = [];
  for (const [cls, tag] of tags) {
    const o = classes.get(cls);
    assert.ok(o, `${file}: define('${tag}', ${cls}) names no class of this module`);
    out.push({ ...o, tag });
  }
  return out;
}

const sorted = (s: Iterable<string>) => [...s].sort();

test('the manifest lists every attribute and event the elements have, and only those', () => {
  const manifest = elementsOf(readManifest());
  const byTag = new Map<string, ElementDecl>(manifest.map((d) => [d.tagName, d]));
  const seen: string[] = [];
  for (const f of readdirSync(ELEMENTS).filter((n) => n.endsWith('.ts'))) {
    for (const o of observe(join(ELEMENTS, f))) {
      seen.push(o.tag);
      const decl = byTag.get(o.tag);
      assert.ok(decl, `<${o.tag}> (src/elements/${f}) is not in custom-elements.json: give ${o.className} a JSDoc @tag and run npm run manifest`);
      assert.equal(decl.name, o.className, `<${o.tag}>: class`);
      const listed = new Set((decl.attributes ?? []).map((a) => a.name));
      for (const a of o.attributes) assert.ok(listed.has(a), `<${o.tag} ${a}> is observed by ${o.className} but missing from the manifest`);
      // An attribute listed without a property must at least be read by the element (a global one, like autofocus).
      for (const a of listed) assert.ok(o.attributes.has(a) || o.readAttributes.has(a), `<${o.tag}>: the manifest lists attribute "${a}", which ${o.className} neither observes nor reads`);
      assert.deepEqual(sorted((decl.events ?? []).map((e) => e.name)), sorted(o.events), `<${o.tag}>: events in the manifest (@fires) against events fired in src/elements/${f}`);
    }
  }
  assert.deepEqual(sorted(seen), sorted(byTag.keys()), 'tags registered with define() (src/elements/define.ts) against tags in the manifest (a JSDoc @tag each)');
  assert.ok(seen.length >= 4, `found only ${seen.length} elements: the source scan is broken`);
});
