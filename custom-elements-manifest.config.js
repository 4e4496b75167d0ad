// `npm run manifest`: custom-elements.json from the elements' JSDoc (@custom-elements-manifest/analyzer
// with its lit plugin). Every module of src/elements is read, so a new element needs no entry here.
// packagejson: false — the analyzer would otherwise rewrite package.json's `customElements` field
// on every run; it is set by hand to the committed file.
export default {
  globs: ['src/elements/*.ts'],
  exclude: ['src/elements/*.test.ts'],
  outdir: '.',
  litelement: true,
  packagejson: false,
};
