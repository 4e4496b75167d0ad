/**
 * The built bundle's syntax: the elements declare attributes with lit's standard decorators
 * on `accessor` fields, which vite.config.ts lowers through esbuild because Vite's own
 * transformer leaves them as they are and not every browser runs them. Chromium does, so a
 * bundle that still holds them would pass every other browser test here; this one reads the
 * bundle's text and fails if any decorator or `accessor` field is left in it.
 */
import { expect } from '@esm-bundle/chai';

/**
 * The test server lowers the JavaScript it serves itself (web-test-runner.config.mjs: esbuild,
 * target es2022), so the bundle is read from its precompressed copy, which it serves as is.
 */
const BUNDLE_GZ = new URL('../../dist/webx86.js.gz', import.meta.url).href;

describe('dist/webx86.js', () => {
  it('has no standard-decorator syntax left (lowered for browsers without decorators)', async () => {
    const gz = await fetch(BUNDLE_GZ);
    expect(gz.ok, `${BUNDLE_GZ}: HTTP ${gz.status}`).to.equal(true);
    const text = await new Response(gz.body!.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(text.length).to.be.greaterThan(10_000);
    // The elements' classes are in it (the check would pass vacuously otherwise).
    expect(text).to.contain('x-tailscale-login');
    const accessorField = /\baccessor\s+[A-Za-z_$#][\w$]*\s*[=;]/.exec(text);
    expect(accessorField?.[0] ?? null, 'an accessor field').to.equal(null);
    const decorator = /@[A-Za-z_$][\w$]*\(\{\s*type:/.exec(text);
    expect(decorator?.[0] ?? null, 'a decorator').to.equal(null);
  });
});
