// Bundles the CLI over tsc's output for the same paths (dist/src/cli/main.js, its commands, the DNS
// providers), so `bin`, the systemd unit, the Dockerfile and the tests run it unchanged. Start-up is
// mostly loading modules (certkeeper's own ~115 and zod's 95 ES modules); one file per command plus
// shared chunks loads a handful. Each command and provider stays its own entry (the CLI and the
// registry list those folders, and load only the one they need); the chunks sit in dist/src/cli so
// the paths the code computes from import.meta.url (./commands/, ../../providers/, the schema) hold.
// Packages stay external except those in BUNDLED (zod without its locales, yaml, js-yaml, commander,
// pino, dns-packet: as CommonJS imported from ESM each cost a parse by Node's export scanner and a
// module resolution per file): the SDKs, acme-client and tldts (required only for a public suffix
// not kept in dataDir/cache, src/config/suffix-cache.ts) load from node_modules, lazily.
// The commands in CACHED are built a second time as one CommonJS file each (dist/src/cli/bundle-NAME.cjs),
// which Node 20 runs through V8's code cache (src/cli/bundled.ts).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// One name for this build in every chunk and bundle: what a cache in dataDir is keyed by
// (src/config/certificates-cache.ts), so `status`, a pass and the daemon's children share it.
const BUILD = { __CERTKEEPER_BUILD__: JSON.stringify(`${pkg.version}|${randomUUID()}`) };
const BUNDLED = new Set(['zod', 'yaml', 'js-yaml', 'commander', 'pino', 'dns-packet']);
const CACHED = ['renew', 'status', 'daemon-pass', 'daemon-config', 'healthcheck'];
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)).flatMap((d) => [d, `${d}/*`]);
const sources = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.') && !f.startsWith('_'))
    .map((f) => `${dir}/${f}`);

// The chunks of an earlier build: their names are hashes, so nothing overwrites them.
for (const f of readdirSync('dist/src/cli')) if (f.startsWith('chunk-') || f.startsWith('bundle-')) rmSync(`dist/src/cli/${f}`);

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
      return { contents: text, loader: 'ts' };
    });
  },
};
for (const command of CACHED) {
  const outfile = `dist/src/cli/bundle-${command}.cjs`;
  await build({
    stdin: { contents: entryOf(command), resolveDir: '.', sourcefile: `bundle-${command}.ts`, loader: 'ts' },
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    mainFields: ['module', 'main'],
    target: 'node20',
    external,
    supported: { 'dynamic-import': false },
    define: { ...BUILD, 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // No comments, so the text is ASCII: V8 holds it in one byte a character (half the memory).
    minifyWhitespace: true,
    charset: 'ascii',
    // No source map (14 MB for the five): CERTKEEPER_NO_BUNDLE=1 runs the mapped ES modules instead.
    plugins: [entriesWithoutImportMeta],
    logLevel: 'warning',
  });
  if (/[^\x00-\x7f]/.test(readFileSync(outfile, 'latin1'))) throw new Error(`${outfile} is not ASCII`);
}
