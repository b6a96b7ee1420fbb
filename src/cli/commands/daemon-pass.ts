import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { servePassForDaemon } from '../../scheduler/pass-child.js';
import { loggerFor, type CliContext } from '../context.js';

/**
 * Not for people: `certkeeper run` starts one of these, with an IPC channel, for each pass
 * (src/scheduler/pass-process.ts), and with a shared store for each deploy of what other hosts stored
 * (src/scheduler/follow-process.ts). It gets the configuration the daemon runs with over the channel (parsed
 * once by daemon-config), does what the daemon asks, reports over the channel and exits.
 */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('daemon-pass', { hidden: true })
    .description("one pass of `certkeeper run`, in a process of its own (started by the daemon)")
    .action(async (_opts: unknown, cmd: Command) => {
      if (!process.send) throw new UsageError('daemon-pass is started by `certkeeper run`; use `certkeeper renew --now` for a pass by hand');
      const logger = await loggerFor(cmd, ctx);
      await servePassForDaemon({ logger, now: ctx.now, env: ctx.env });
      // Flush what was logged, then leave even if a keep-alive socket (CA, DNS API) lingers.
      await new Promise<void>((r) => ctx.stdout.write('', () => r()));
      process.exit(0);
    });
}
