import type { Command } from 'commander';
import { findConfigFile, loadConfig, type Config } from '../../config/load.js';
import { startOperations } from '../../ops/operations.js';
import { Daemon } from '../../scheduler/daemon.js';
import { globalOptions, loggerFor, type CliContext } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run as a service: a pass now, then on renew.schedule; SIGHUP reloads the config, SIGTERM stops')
    .action(async (_opts: unknown, cmd: Command) => {
      const file = findConfigFile(globalOptions(cmd).config, ctx.env, ctx.cwd);
      const logger = await loggerFor(cmd, ctx);
      // A bad configuration at start is a usage error (exit 2), like every other command.
      const first = await loadConfig(file, ctx.env);
      let daemon: Daemon | undefined;
      // Metrics, health endpoint and alerts follow the configuration: SIGHUP reconfigures them with the rest.
      const ops = await startOperations(first, logger, { now: ctx.now, liveness: () => daemon?.liveness() ?? { ok: false, reason: 'starting' }, passes: () => daemon });
      let initial: Config | undefined = first;
      daemon = new Daemon({
        loadConfig: async () => {
          // The first load is the one already done above; SIGHUP reads the file again.
          const c = initial ?? (await loadConfig(file, ctx.env));
          initial = undefined;
          return c;
        },
        logger,
        now: ctx.now,
        env: ctx.env,
        observer: ops.observer,
        applyConfig: (next) => ops.reconfigure(next),
      });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const term = () => stop('SIGTERM');
        const int = () => stop('SIGINT');
        const stop = (sig: string) => {
          logger.info({ signal: sig }, 'signal received');
          // From now on a second SIGTERM/SIGINT gets the default action: the process ends at once.
          process.off('SIGTERM', term);
          process.off('SIGINT', int);
          process.off('SIGHUP', hup);
          process.on('SIGHUP', () => logger.info('SIGHUP ignored while stopping'));
          void daemon!.stop().then(() => ops.close()).then(resolve);
        };
        const hup = () => {
          logger.info({ signal: 'SIGHUP' }, 'signal received; reloading the configuration');
          void daemon!.reload();
        };
        process.on('SIGTERM', term);
        process.on('SIGINT', int);
        process.on('SIGHUP', hup);
      });
      // Flush what was logged, then leave even if a keep-alive socket lingers.
      await new Promise<void>((r) => ctx.stdout.write('', () => r()));
      process.exit(0);
    });
}
