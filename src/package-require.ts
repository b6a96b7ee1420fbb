import Module, { createRequire } from 'node:module';

// The CommonJS modules of packages certkeeper loads only when it needs them (acme-client's client,
// tldts), and the stand-ins it gives them for modules they would require. Here (the ES modules: Node
// 22, tests, CERTKEEPER_NO_BUNDLE=1) they come from node_modules through Node's loader, on Node 22
// through its compile cache. The commands' CommonJS bundles (build/bundle.mjs) put another file in
// this one's place that answers them from inside the bundle, so on Node 20 their code comes from V8's
// code cache with the rest (src/cli/code-cache.ts) instead of being compiled from source every run.
const require = createRequire(import.meta.url);

/** The package module `id` ('tldts', 'acme-client/src/client.js'); a bundle holds only those build/bundle.mjs lists in INLINED. */
export function requirePackage(id: string): unknown {
  return require(id);
}

/**
 * Makes `exports` what a package's modules get when they require `id` (a path in node_modules, one
 * of the bundle's STAND_INS); must come before the first requirePackage that reaches it.
 */
export function standIn(id: string, exports: object): void {
  const filename = require.resolve(id);
  const m = new Module(filename);
  m.filename = filename;
  m.exports = exports;
  m.loaded = true;
  require.cache[filename] = m;
}

