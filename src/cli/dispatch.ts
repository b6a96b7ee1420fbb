import { fileURLToPath } from 'node:url';

/** The extension of the command files: .ts when run from the sources (tests), .js when built. */
export const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';

/** Global options that take a value; their value is not the command name. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level', '--lang']);

/** The first word of the command line that is not an option or an option's value: the command's name. */
export function commandNameIn(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * The command named on the command line, when it is one of the files in ./commands. Loading only
 * that file keeps start-up short: every command's dependencies (the ACME stack, SDKs, prom-client,
 * the TLS checker) would otherwise be imported for each invocation.
 */
export function commandFileFor(argv: string[], files: string[]): string | undefined {
  const name = commandNameIn(argv);
  return name === undefined ? undefined : files.find((f) => f.slice(0, -ext.length) === name);
}
