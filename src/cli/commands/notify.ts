import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { Notifier } from '../../ops/notify/notifier.js';
import { dnsSecrets } from '../../ops/notify/scrub.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  const notify = program.command('notify').description('alert channels');
  notify
    .command('test')
    .description('send a test message to every channel under notify:; exit 1 if any channel fails')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      if (config.notify.channels.length === 0) throw new UsageError(said('noChannels'));
      const logger = await loggerFor(cmd, ctx, 'stderr');
      const notifier = new Notifier(config.notify, config.dataDir, logger, { now: ctx.now, secrets: dnsSecrets(config.dns) });
      const results = await notifier.test();
      for (const r of results) ctx.stdout.write(`${r.channel}: ${r.ok ? 'sent' : `FAILED: ${r.error}`}\n`);
      process.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
    });
}
