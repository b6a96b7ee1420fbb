#!/usr/bin/env node
// The entry point. It imports nothing of the CLI at load: the compile cache is turned on first, so
// every module after it (commander, pino, the command, the config parser) can come from the cache.
// On Node 20, which has no such cache, a command with a bundle of its own runs from that instead
// (bundled.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCommandBundle } from './bundled.js';
import { enableCompileCache } from './compile-cache.js';
import type { CliContext } from './context.js';
import type { Command } from 'commander';

export type { CommandModule } from './program.js';

/** Runs the CLI and returns the exit status; never throws, never prints a stack trace. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  return (await import('./program.js')).runCli(argv, ctx);
}

export async function buildProgram(ctx: CliContext, argv: string[] = []): Promise<Command> {
  return (await import('./program.js')).buildProgram(ctx, argv);
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  enableCompileCache();
  const argv = process.argv.slice(2);
  const cli = loadCommandBundle(argv) ?? { runCli, cliClock: (await import('../testing/clock.js')).cliClock };
  const code = await cli.runCli(argv, {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    now: cli.cliClock(process.env),
  });
  process.exitCode = code;
}
