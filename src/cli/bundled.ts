import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCached, loadedModules } from './code-cache.js';
import { hasNodeCompileCache, privateCacheDir } from './compile-cache.js';
import type { CliContext } from './context.js';
import { commandNameIn } from './dispatch.js';
import { ON_USE_BUILTINS, onFirstUse } from './on-use.js';

/** What build/bundle.mjs puts in each command's CommonJS bundle (dist/src/cli/bundle-COMMAND.cjs). */
export interface CommandBundle {
  runCli(argv: string[], ctx: CliContext): Promise<number>;
  cliClock(env: NodeJS.ProcessEnv): () => Date;
  /** The modules the code imports by a computed URL (the command, the DNS providers), by path under dist/. */
  files: Record<string, () => unknown>;
  /** How many of the packages loaded through package-require.ts (acme-client, tldts) this run loaded. */
  packagesLoaded(): number;
  /** The packages built as a bundle of their own (dist/src/cli/package-ID.cjs), which the bundle requires by ID. */
  packageBundles: string[];
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
  const cacheDir = privateCacheDir(env);
  const bundle = { exports: {} as CommandBundle };
  const dist = fileURLToPath(new URL('../../', import.meta.url));
  const nodeRequire = createRequire(file);
  const packages = new Map<string, unknown>();
  const builtins = new Map<string, unknown>();
  // The bundle's import() calls are require() calls (V8 loses the import callback of code from a
  // cache): a module of the bundle's own by its path, a package built as a bundle of its own
  // (package-ID.cjs, through its own code cache, read only by a run that needs it), a built-in module
  // few runs use at its first use (on-use.ts), anything else (the SDKs) from node_modules as before.
  const bundleRequire = (id: string): unknown => {
    if (id.startsWith('file:')) {
      const own = bundle.exports.files[relative(dist, fileURLToPath(id))];
      if (own) return own();
    }
    if (bundle.exports.packageBundles?.includes(id)) {
      if (!packages.has(id)) packages.set(id, runCached(fileURLToPath(new URL(`./package-${id}.cjs`, import.meta.url)), `package-${id}`, cacheDir, nodeRequire, () => 0));
      return packages.get(id);
    }
    const callable = ON_USE_BUILTINS[id];
    if (callable !== undefined) {
      if (!builtins.has(id)) builtins.set(id, onFirstUse(() => nodeRequire(id) as object, callable));
      return builtins.get(id);
    }
    return nodeRequire(id);
  };
  // How far a run went: the packages it loaded, from node_modules (an SDK), through the bundle or as
  // bundles of their own.
  const progress = () => loadedModules() + (bundle.exports.packagesLoaded?.() ?? 0) + packages.size;
  runCached(file, `bundle-${name}`, cacheDir, bundleRequire, progress, source, bundle);
  return bundle.exports;
}

/** Runs the CommonJS file `file` as Node would, its code from the cache `name` in `dir` (saved when the process exits); its exports. */
function runCached(file: string, name: string, dir: string | undefined, require: (id: string) => unknown, progress: () => number, source: Buffer = readFileSync(file), module = { exports: {} }): unknown {
  const script = compileCached(source, file, name, dir, process.getuid?.() ?? -1, progress);
  process.once('exit', script.save);
  script.fn.call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}
