import type { Command } from 'commander';
import { describePlan, planRemoval, removeCertificate } from '../../lifecycle/remove.js';
import { acquireLock } from '../../store/lock.js';
import { confirm } from '../confirm.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('remove')
    .description('delete a certificate that is no longer configured: its store entries and state (deployed files with --files)')
    .argument('<name>', 'certificate name (see certkeeper status: stored but no longer configured)')
    .option('--files', 'also delete the files it was deployed to')
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(async (name: string, opts: { files?: boolean; yes?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx, 'stderr');
      const lock = await acquireLock(config.dataDir, { logger });
      try {
        const plan = await planRemoval(config, name, { files: Boolean(opts.files) }, logger);
        ctx.stdout.write(`${describePlan(plan).join('\n')}\n`);
        if (!(await confirm(ctx, `Delete what is listed for ${name}?`, opts.yes))) {
          ctx.stdout.write('nothing deleted\n');
          process.exitCode = EXIT.failed;
          return;
        }
        await removeCertificate(config, plan, logger);
        ctx.stdout.write(`${name}: removed\n`);
      } finally {
        await lock.release();
      }
    });
}
