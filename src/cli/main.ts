#!/usr/bin/env node
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CertkeeperError, ConfigError, UsageError, formatIssue } from '../errors.js';
import { sayIn, type Said } from '../i18n/errors.js';
import { detectLang, langFromArgv, messages } from '../i18n/index.js';
import { cliClock } from '../testing/clock.js';
import { EXIT, type CliContext } from './context.js';

export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

// Each file in ./commands registers one command (or group); listing the folder means adding a
// command never edits this file.
const here = fileURLToPath(import.meta.url);
const ext = here.endsWith('.ts') ? '.ts' : '.js';
const commandsDir = new URL('./commands/', import.meta.url);

/** Global options that take a value; their value is not the command name. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level', '--lang']);

/**
 * The command named on the command line, when it is one of the files in ./commands. Loading only
 * that file keeps start-up short: every command's dependencies (the ACME stack, SDKs, prom-client,
 * the TLS checker) would otherwise be imported for each invocation.
 */
export function commandFileFor(argv: string[], files: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return files.find((f) => f.slice(0, -ext.length) === a);
  }
  return undefined;
}

export async function buildProgram(ctx: CliContext, argv: string[] = []): Promise<Command> {
  const program = new Command('certkeeper')
    .description('Issues and renews TLS certificates over ACME DNS-01 and deploys them into Nginx')
    .option('-c, --config <file>', 'configuration file (default: $CERTKEEPER_CONFIG, ./certkeeper.yaml, /etc/certkeeper/certkeeper.yaml)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--lang <lang>', 'language of messages: en or zh-CN (default: from LC_ALL, LC_MESSAGES, LANG)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .showSuggestionAfterError(true);
  const files = readdirSync(commandsDir)
    .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort();
  const only = commandFileFor(argv, files);
  for (const f of only ? [only] : files) {
    const mod = (await import(new URL(f, commandsDir).href)) as CommandModule;
    mod.register(program, ctx);
  }
  return program;
}

/** Runs the CLI and returns the exit status; never throws, never prints a stack trace. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const program = await buildProgram(ctx, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err, ctx, langFromArgv(argv));
  }
}

export function reportError(err: unknown, ctx: CliContext, lang?: string): number {
  const m = messages(detectLang(lang, ctx.env));
  if (err instanceof CommanderError) {
    // commander has already printed its message (unknown option, missing argument, --help).
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  // What has a catalog key is said in the chosen language; the rest (a library's words) as it came.
  const say = (s: Said | undefined, message: string) => (s ? sayIn(m.errors, s) : message);
  if (err instanceof ConfigError) {
    for (const issue of err.issues) ctx.stderr.write(`${m.errorPrefix}${m.configPrefix}${formatIssue({ path: issue.path, message: say(issue.said, issue.message) })}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError) {
    ctx.stderr.write(`${m.errorPrefix}${say(err.said, err.message)}\n`);
    return EXIT.usage;
  }
  const msg = err instanceof CertkeeperError ? say(err.said, err.message) : err instanceof Error ? err.message.split('\n')[0] : String(err);
  ctx.stderr.write(`${m.errorPrefix}${msg}\n`);
  return EXIT.failed;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1]);
if (isMain) {
  // Node 22.1 and later keep compiled code between runs (the modules below load after this line);
  // Node 20 has no such call and compiles every time.
  const { enableCompileCache } = (await import('node:module')) as { enableCompileCache?: () => unknown };
  enableCompileCache?.();
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    now: cliClock(process.env),
  });
  process.exitCode = code;
}
