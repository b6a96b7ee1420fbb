#!/usr/bin/env node
// The command-line entry: `bin` of package.json, the systemd units' and the image's `certkeeper`, the
// daemon's pass and configuration processes. build/bundle.mjs builds it as CommonJS
// (dist/src/cli/certkeeper.cjs), which Node starts without its ES module loader: an ES module entry
// cost a no-op `renew --now` about a tenth of its start (the loader's set-up, resolving and linking,
// and a facade of every export of each built-in module imported, node:fs's loading its streams).
// It loads nothing of the CLI before the compile cache is on (Node 22), so every module after it can
// come from that cache; on Node 20 a command with a bundle of its own runs from that and V8's code
// cache (bundled.ts), any other command from the ES modules (main.js).
import { loadCommandBundle } from './bundled.js';
import { enableCompileCache } from './compile-cache.js';
import { processContext } from './process-context.js';

enableCompileCache();
const argv = process.argv.slice(2);
const cli = loadCommandBundle(argv);
const run = cli
  ? cli.runCli(argv, processContext(cli.cliClock(process.env)))
  : // A computed URL: the ES modules stay out of this file (build/bundle.mjs bundles it).
    import(new URL('./main.js', import.meta.url).href).then((m: typeof import('./main.js')) => m.runFromModules(argv));
void run.then((code) => {
  process.exitCode = code;
});
