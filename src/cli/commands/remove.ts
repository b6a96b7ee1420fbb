import type { Command } from 'commander';
import { holdCertificate } from '../../lifecycle/hold.js';
import { describePlan, planRemoval, removeCertificate } from '../../lifecycle/remove.js';
import { openStore } from '../../store/open.js';
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
      const store = await openStore(config, logger);
      const release = await holdCertificate(config, store, name, { logger }).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
      try {
        const plan = await planRemoval(config, store, name, { files: Boolean(opts.files) }, logger);
        ctx.stdout.write(`${describePlan(plan).join('\n')}\n`);
        if (!(await confirm(ctx, `Delete what is listed for ${name}?`, opts.yes))) {
          ctx.stdout.write('nothing deleted\n');
          process.exitCode = EXIT.failed;
          return;
        }
        await removeCertificate(store, plan, logger, ctx.now());
        ctx.stdout.write(`${name}: removed\n`);
      } finally {
        await release();
        await store.close();
      }
    });
}
