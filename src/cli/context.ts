import type { Command } from 'commander';
import type { Logger, LevelWithSilent } from 'pino';
import { findConfigFile } from '../config/find.js';
import type { Config } from '../config/load.js';
import { createLogger } from '../log.js';
import { detectLang, messages, type Lang, type Messages } from '../i18n/index.js';

/** What every command gets from the shell around it; tests pass their own. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  now: () => Date;
  /** Where a confirmation is read from (only when it is a terminal); absent in tests that pass their own context. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface GlobalOptions {
  config?: string;
  logLevel?: LevelWithSilent;
  lang?: string;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export async function configFor(cmd: Command, ctx: CliContext): Promise<Config> {
  // Loaded here, not at the top: `certkeeper run` imports this module and must not load the parser.
  const { loadConfig } = await import('../config/load.js');
  return loadConfig(findConfigFile(globalOptions(cmd).config, ctx.env, ctx.cwd), ctx.env);
}

/**
 * Logs go to stdout for the commands whose output is the log (renew, run), as JSON unless stdout is
 * a terminal; commands that print a result (status --json) log to stderr so their output stays clean.
 */
export async function loggerFor(cmd: Command, ctx: CliContext, to: 'stdout' | 'stderr' = 'stdout'): Promise<Logger> {
  const stream = to === 'stdout' ? ctx.stdout : ctx.stderr;
  return createLogger({
    level: globalOptions(cmd).logLevel ?? (to === 'stderr' ? 'warn' : 'info'),
    pretty: Boolean(stream.isTTY),
    destination: stream,
  });
}

/** The message catalog for `--lang`, else the locale. */
export function messagesFor(cmd: Command, ctx: CliContext): Messages & { lang: Lang } {
  const lang = detectLang(globalOptions(cmd).lang, ctx.env);
  return { ...messages(lang), lang };
}

/** Exit statuses that scripts rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
