// Bundles the CLI over tsc's output for the same paths (dist/src/cli/main.js, its commands, the DNS
// providers), so `bin`, the systemd unit, the Dockerfile and the tests run it unchanged. Start-up is
// mostly loading modules (certkeeper's own ~115 and zod's 95 ES modules); one file per command plus
// shared chunks loads a handful. Each command and provider stays its own entry (the CLI and the
// registry list those folders, and load only the one they need); the chunks sit in dist/src/cli so
// the paths the code computes from import.meta.url (./commands/, ../../providers/, the schema) hold.
// Packages stay external except those in BUNDLED (zod without its locales, yaml, js-yaml, commander,
// tldts, pino, dns-packet: as CommonJS imported from ESM each cost a parse by Node's export
// scanner and a module resolution per file): the SDKs and acme-client load from node_modules, lazily.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const BUNDLED = new Set(['zod', 'yaml', 'js-yaml', 'commander', 'tldts', 'pino', 'dns-packet']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)).flatMap((d) => [d, `${d}/*`]);
const sources = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.') && !f.startsWith('_'))
    .map((f) => `${dir}/${f}`);

// The chunks of an earlier build: their names are hashes, so nothing overwrites them.
for (const f of readdirSync('dist/src/cli')) if (f.startsWith('chunk-')) rmSync(`dist/src/cli/${f}`);

await build({
  entryPoints: ['src/cli/main.ts', ...sources('src/cli/commands'), ...sources('providers')],
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
  sourcemap: true,
  allowOverwrite: true,
  // Bundled CommonJS (yaml, commander) requires Node's own modules.
  banner: { js: "import { createRequire as __ckRequire } from 'node:module'; const require = __ckRequire(import.meta.url);" },
  logLevel: 'warning',
});
