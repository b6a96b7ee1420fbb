import type { Command } from 'commander';
import { findConfigFile, loadConfig, parseConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { answerConfigRequest } from '../../scheduler/config-process.js';
import { globalOptions, type CliContext } from '../context.js';

/**
 * Not for people: `certkeeper run` starts one of these, with an IPC channel, to parse its
 * configuration at start and on SIGHUP (src/scheduler/config-process.ts), so that the daemon itself
 * never loads the parser. It answers with the configuration or its ConfigError and exits.
 */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('daemon-config', { hidden: true })
    .description('parses the configuration for `certkeeper run`, in a process of its own (started by the daemon)')
    .action(async (_opts: unknown, cmd: Command) => {
      if (!process.send) throw new UsageError('daemon-config is started by `certkeeper run`; use `certkeeper config check` to check a configuration');
      const file = findConfigFile(globalOptions(cmd).config, ctx.env, ctx.cwd);
      await answerConfigRequest((text) => (text === undefined ? loadConfig(file, ctx.env) : parseConfig(text, file, ctx.env)));
    });
}
