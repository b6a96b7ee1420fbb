import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCached, loadedModules } from './code-cache.js';
import { hasNodeCompileCache, privateCacheDir } from './compile-cache.js';
import type { CliContext } from './context.js';
import { commandNameIn } from './dispatch.js';

/** What build/bundle.mjs puts in each command's CommonJS bundle (dist/src/cli/bundle-COMMAND.cjs). */
export interface CommandBundle {
  runCli(argv: string[], ctx: CliContext): Promise<number>;
  cliClock(env: NodeJS.ProcessEnv): () => Date;
  /** The modules the code imports by a computed URL (the command, the DNS providers), by path under dist/. */
  files: Record<string, () => unknown>;
  /** How many of the packages inside the bundle (acme-client, tldts: package-require.ts) this run loaded. */
  packagesLoaded(): number;
}

/**
 * Node 20 has no compile cache for ES modules, so every start parsed and compiled the CLI's ~50
 * modules again. The commands whose start counts (a pass, `status`, the daemon's pass and
 * configuration processes) are also built as one CommonJS file each, which runs here through V8's
 * code cache (code-cache.ts, in the same private directory as Node 22's cache). Undefined (load the
 * ES modules) on Node 22, for the other commands, and when the bundle is missing (running from the
 * sources). The daemon itself (`run`) has no bundle: it stays the small supervisor it is.
 */
export function loadCommandBundle(argv: string[], env: NodeJS.ProcessEnv = process.env): CommandBundle | undefined {
  if (hasNodeCompileCache || env.CERTKEEPER_NO_BUNDLE) return undefined;
  const name = commandNameIn(argv);
  if (!name || !/^[a-z][a-z-]*$/.test(name)) return undefined;
  const file = fileURLToPath(new URL(`./bundle-${name}.cjs`, import.meta.url));
  let source: Buffer;
  try {
    source = readFileSync(file);
  } catch {
    return undefined;
  }
  const module = { exports: {} as CommandBundle };
  // How far a run went: the packages it loaded, from node_modules (an SDK) or from inside the bundle.
  const progress = () => loadedModules() + (module.exports.packagesLoaded?.() ?? 0);
  const script = compileCached(source, file, `bundle-${name}`, privateCacheDir(env), process.getuid?.() ?? -1, progress);
  process.once('exit', script.save);
  const dist = fileURLToPath(new URL('../../', import.meta.url));
  const nodeRequire = createRequire(file);
  // The bundle's import() calls are require() calls (V8 loses the import callback of code from a
  // cache): a module of the bundle's own by its path, anything else (the SDKs, acme-client) from
  // node_modules as before.
  const bundleRequire = (id: string): unknown => {
    if (id.startsWith('file:')) {
      const own = module.exports.files[relative(dist, fileURLToPath(id))];
      if (own) return own();
    }
    return nodeRequire(id);
  };
  script.fn.call(module.exports, module.exports, bundleRequire, module, file, dirname(file));
  return module.exports;
}
