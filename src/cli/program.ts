import { readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CertkeeperError, ConfigError, UsageError, formatIssue } from '../errors.js';
import { sayIn, type Said } from '../i18n/errors.js';
import { detectLang, langFromArgv, messages } from '../i18n/index.js';
import { EXIT, type CliContext } from './context.js';
import { commandFileFor, ext } from './dispatch.js';

export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

// Each file in ./commands registers one command (or group); listing the folder means adding a
// command never edits this file.
const commandsDir = new URL('./commands/', import.meta.url);

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
