#!/usr/bin/env node
// The CLI as ES modules: runCli and buildProgram for those who import it (the demo, tests), and
// runFromModules, which certkeeper.cjs (the entry) runs for a command without a bundle of its own.
// Started itself (`node dist/src/cli/main.js`, as installs made before certkeeper.cjs do), it hands
// over to certkeeper.cjs. It imports nothing else at load: Node's compile cache (Node 22) is turned on
// by certkeeper.cjs before the CLI's modules load.
import { createRequire } from 'node:module';
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

/** Runs the CLI for this process's arguments from the ES modules; the exit status. */
export async function runFromModules(argv: string[]): Promise<number> {
  const [{ cliClock }, { processContext }] = await Promise.all([import('../testing/clock.js'), import('./process-context.js')]);
  return runCli(argv, processContext(cliClock(process.env)));
}

// Built-in modules by require: an ES import builds a facade of every export (node:fs's loads its streams).
const load = createRequire(import.meta.url);
const { realpathSync } = load('node:fs') as typeof import('node:fs');
const { fileURLToPath } = load('node:url') as typeof import('node:url');
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) load('./certkeeper.cjs');
