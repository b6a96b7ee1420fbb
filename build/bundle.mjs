// Bundles the CLI over tsc's output for the same paths (dist/src/cli/main.js, its commands, the DNS
// providers), so the paths the code computes and those the tests import hold; the entry (`bin`, the
// systemd units, the image) is dist/src/cli/certkeeper.cjs, built last. Start-up is
// mostly loading modules (certkeeper's own ~115 and zod's 95 ES modules); one file per command plus
// shared chunks loads a handful. Each command and provider stays its own entry (the CLI and the
// registry list those folders, and load only the one they need); the chunks sit in dist/src/cli so
// the paths the code computes from import.meta.url (./commands/, ../../providers/, the schema) hold.
// Packages stay external except those in BUNDLED (zod without its locales, yaml, js-yaml, commander,
// pino, dns-packet: as CommonJS imported from ESM each cost a parse by Node's export scanner and a
// module resolution per file): the SDKs, acme-client and tldts (required only for a public suffix
// not kept in dataDir/cache, src/config/suffix-cache.ts) load from node_modules, lazily (in the
// command bundles below the last two are inside, still evaluated only when needed).
// The commands in CACHED are built a second time as one CommonJS file each (dist/src/cli/bundle-NAME.cjs),
// which Node 20 runs through V8's code cache (src/cli/bundled.ts); those also hold the packages in
// INLINED (src/package-require.ts), so their code comes from that cache too.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// One name for this build in every chunk and bundle: what a cache in dataDir is keyed by
// (src/config/certificates-cache.ts), so `status`, a pass and the daemon's children share it.
const BUILD = { __CERTKEEPER_BUILD__: JSON.stringify(`${pkg.version}|${randomUUID()}`) };
const BUNDLED = new Set(['zod', 'yaml', 'js-yaml', 'commander', 'pino', 'dns-packet']);
const CACHED = ['renew', 'status', 'daemon-pass', 'daemon-config', 'healthcheck'];
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)).flatMap((d) => [d, `${d}/*`]);
// Packages loaded through requirePackage (src/package-require.ts), only when needed. The command bundles
// hold INLINED: acme-client's client, of whose files only these four (STAND_INS are certkeeper's,
// src/acme/lib.ts); anything else of it in a bundle fails the build. A package in OWN_BUNDLES is a
// cached bundle of its own (dist/src/cli/package-NAME.cjs), so its code (tldts: its list is ~1 MB of
// bytecode once run) is read only by a run that loads it, not with every command's cache: tldts for a
// new name, zod for a configuration of an uncommon shape or a problem to word, yaml for a document
// js-yaml does not read (src/config/yaml-read.ts), dns-packet for DNS queries and updates. Inside,
// they were 30 % of the renew bundle that every no-op read, hashed and had V8 take from its cache.
const INLINED = ['acme-client/src/client.js', 'acme-client/src/http.js'];
const INLINED_FILES = /^node_modules\/acme-client\/src\/(client|http|api|util)\.js$/;
const STAND_INS = ['acme-client/src/axios.js', 'acme-client/src/crypto/index.js', 'acme-client/src/verify.js', 'acme-client/src/auto.js', 'acme-client/src/logger.js'];
const OWN_BUNDLES = ['tldts', 'zod', 'yaml', 'dns-packet'];
const bundleExternal = [...external.filter((e) => e !== 'acme-client' && e !== 'acme-client/*'), ...OWN_BUNDLES.flatMap((d) => [d, `${d}/*`])];
const sources = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.') && !f.startsWith('_'))
    .map((f) => `${dir}/${f}`);

// The chunks of an earlier build: their names are hashes, so nothing overwrites them.
for (const f of readdirSync('dist/src/cli')) if (f.startsWith('chunk-') || f.startsWith('bundle-') || f.startsWith('package-')) rmSync(`dist/src/cli/${f}`);

const providers = sources('providers');
await build({
  entryPoints: ['src/cli/main.ts', ...sources('src/cli/commands'), ...providers],
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node20',
  external,
  chunkNames: 'src/cli/chunk-[hash]',
  define: BUILD,
  sourcemap: true,
  allowOverwrite: true,
  // Bundled CommonJS (yaml, commander) requires Node's own modules.
  banner: { js: "import { createRequire as __ckRequire } from 'node:module'; const require = __ckRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Each bundle sits beside the chunks, so import.meta.url (made its own file's URL) gives the paths the
// chunks compute. The files the code imports by a computed URL (its command, the DNS providers) are
// in `files`, by their path under dist/; every import() becomes a require() (bundled.ts says why).
const entryOf = (command) => `
export { runCli } from './src/cli/program.ts';
export { cliClock } from './src/testing/clock.ts';
export { packagesLoaded } from './src/package-require.ts';
export const packageBundles = ${JSON.stringify(OWN_BUNDLES)};
export const files = {
${[`src/cli/commands/${command}.ts`, ...providers].map((f) => `  ${JSON.stringify(f.replace(/\.ts$/, '.js'))}: () => require(${JSON.stringify(`./${f}`)}),`).join('\n')}
};
`;
// An entry file's import.meta.url would name another folder than the bundle's.
const entriesWithoutImportMeta = {
  name: 'entries-without-import-meta',
  setup(b) {
    b.onLoad({ filter: /\/(src\/cli\/commands|providers)\/[^/]+\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.includes('import.meta')) return { errors: [{ text: `${args.path} uses import.meta: it cannot be in a bundle-*.cjs` }] };
      return { contents: inlinePackages(text), loader: 'ts' };
    });
  },
};
// src/package-require.ts as the bundles have it: each requirePackage('ID') of an INLINED package is
// given its require('ID') (so a bundle holds the packages its code reaches, and only those), and the
// modules of theirs that require one of STAND_INS get the stand-in certkeeper gave. Any other package
// goes to the bundle's require (src/cli/bundled.ts): its own bundle, or node_modules.
const packageRequire = resolve('src/package-require.ts');
const resolvePackage = createRequire(packageRequire).resolve;
const standInFiles = new Map(STAND_INS.map((id) => [resolvePackage(id), id]));
const packageRequireInBundle = `const loaded = new Set();
const standIns = new Map();
export function requirePackage(id, load) {
  loaded.add(id);
  return load ? load() : require(id);
}
export function standIn(id, value) {
  standIns.set(id, value);
}
export function standInFor(id) {
  if (!standIns.has(id)) throw new Error('no stand-in for ' + id + ' was given before it was required');
  return standIns.get(id);
}
export const packagesLoaded = () => loaded.size;
`;
const inlinePackages = (text) =>
  text.replace(/\brequirePackage\((['"])([^'"]+)\1\)/g, (call, q, id) => (INLINED.includes(id) ? `requirePackage(${q}${id}${q}, () => require(${q}${id}${q}))` : call));
const packagesInside = {
  name: 'packages-inside',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path === packageRequire) return { contents: packageRequireInBundle, loader: 'js', resolveDir: dirname(packageRequire) };
      if (args.path.includes('/node_modules/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      return text.includes('requirePackage(') ? { contents: inlinePackages(text), loader: 'ts' } : undefined;
    });
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'packages-inside' || !args.importer.includes('/node_modules/')) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'packages-inside' });
      const id = standInFiles.get(r.path);
      return id ? { path: id, namespace: 'stand-in' } : r;
    });
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(packageRequire)}).standInFor(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: dirname(packageRequire),
    }));
  },
};
// What every CommonJS file of the build shares: Node 20's syntax, and import.meta.url answered by the
// file's own path (CommonJS has no import.meta).
const CJS = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
};
const IMPORT_META_URL = {
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
for (const command of CACHED) {
  const outfile = `dist/src/cli/bundle-${command}.cjs`;
  const { metafile } = await build({
    stdin: { contents: entryOf(command), resolveDir: '.', sourcefile: `bundle-${command}.ts`, loader: 'ts' },
    outfile,
    ...CJS,
    ...IMPORT_META_URL,
    mainFields: ['module', 'main'],
    external: bundleExternal,
    supported: { 'dynamic-import': false },
    define: { ...BUILD, ...IMPORT_META_URL.define },
    // No comments, so the text is ASCII: V8 holds it in one byte a character (half the memory).
    minifyWhitespace: true,
    charset: 'ascii',
    // No source map (14 MB for the five): CERTKEEPER_NO_BUNDLE=1 runs the mapped ES modules instead.
    plugins: [entriesWithoutImportMeta, packagesInside],
    metafile: true,
  });
  if (/[^\x00-\x7f]/.test(readFileSync(outfile, 'latin1'))) throw new Error(`${outfile} is not ASCII`);
  const stray = Object.keys(metafile.inputs).filter((f) => /^node_modules\/(acme-client|tldts)/.test(f) && !INLINED_FILES.test(f));
  if (stray.length > 0) throw new Error(`${outfile} holds ${stray.join(', ')}: not one of the files INLINED brings (build/bundle.mjs)`);
}
// The entry (src/cli/certkeeper.ts, `bin`) as CommonJS, which Node starts without its ES module loader.
// tsc's ES module of it is removed: started, it would be a second, slower entry.
await build({
  entryPoints: ['src/cli/certkeeper.ts'],
  outfile: 'dist/src/cli/certkeeper.cjs',
  ...CJS,
  ...IMPORT_META_URL,
  packages: 'external',
});
for (const f of ['certkeeper.js', 'certkeeper.js.map']) rmSync(`dist/src/cli/${f}`, { force: true });
for (const id of OWN_BUNDLES) {
  const outfile = `dist/src/cli/package-${id}.cjs`;
  await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(id)});`, resolveDir: '.', sourcefile: `package-${id}.js`, loader: 'js' },
    outfile,
    ...CJS,
    // The package's build the command bundles held.
    mainFields: ['module', 'main'],
    minifyWhitespace: true,
    charset: 'ascii',
  });
  if (/[^\x00-\x7f]/.test(readFileSync(outfile, 'latin1'))) throw new Error(`${outfile} is not ASCII`);
}
