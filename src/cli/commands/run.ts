import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { findConfigFile } from '../../config/find.js';
import type { Config } from '../../config/load.js';
import { oneLine } from '../../errors.js';
import { startOperations } from '../../ops/operations.js';
import { storeSources } from '../../dashboard/sources.js';
import { Daemon } from '../../scheduler/daemon.js';
import type { FleetLink, FleetLinkOptions } from '../../scheduler/fleet-link.js';
import { configInChild } from '../../scheduler/config-process.js';
import { passInChild } from '../../scheduler/pass-process.js';
import { followInChild } from '../../scheduler/follow-process.js';
import { EXIT, globalOptions, loggerFor, type CliContext } from '../context.js';

/** The link to a store several hosts share; its code (PostgreSQL, LISTEN) loads only when one is configured. Its deploys run in a child (followInChild). */
async function startLink(config: Config, opts: FleetLinkOptions): Promise<FleetLink | undefined> {
  if (config.store.type === 'file') return undefined;
  return (await import('../../scheduler/fleet-link.js')).FleetLink.start(config, opts);
}

/** How a pass's (or the configuration's) process is started: this CLI, the same configuration file, log level and language; never a secret on its command line. */
function childArgs(command: 'daemon-pass' | 'daemon-config', cmd: Command, file: string): string[] {
  const g = globalOptions(cmd);
  return [command, '--config', file, ...(g.logLevel ? ['--log-level', g.logLevel] : []), ...(g.lang ? ['--lang', g.lang] : [])];
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run as a service: a pass now, then on renew.schedule; SIGHUP reloads the config, SIGTERM stops')
    .action(async (_opts: unknown, cmd: Command) => {
      const file = findConfigFile(globalOptions(cmd).config, ctx.env, ctx.cwd);
      const logger = await loggerFor(cmd, ctx);
      const entry = fileURLToPath(new URL('../certkeeper.cjs', import.meta.url));
      // Parsed in a process of its own: the daemon never loads the parser and its schemas.
      const parse = configInChild({ entry, args: childArgs('daemon-config', cmd, file), env: ctx.env });
      // Once per load: each pass and deploy gets this configuration as plain data, not an edit awaiting SIGHUP.
      const load = async () => parse(await readFile(file, 'utf8').catch(() => undefined));
      const child = { entry, args: childArgs('daemon-pass', cmd, file), env: ctx.env };
      // A bad configuration at start is a usage error (exit 2), like every other command.
      const first = await load();
      let daemon: Daemon | undefined;
      let link: FleetLink | undefined;
      // Metrics, health endpoint and alerts follow the configuration: SIGHUP reconfigures them with the rest.
      const ops = await startOperations(first, logger, { now: ctx.now, liveness: () => daemon?.liveness() ?? { ok: false, reason: 'starting' }, passes: () => daemon, dashboardSources: storeSources(() => link?.store) });
      // A store several hosts share: opened once, kept for every pass. What a person must fix (a wrong
      // encryption key, a node name another running host uses) refuses the start with one line.
      const linkOptions: FleetLinkOptions = {
        logger,
        now: ctx.now,
        observer: ops.observer,
        requestPass: () => daemon?.requestPass(),
        // What other hosts stored is deployed by a process of its own, like a pass.
        deploy: followInChild({ ...child, logger, now: ctx.now }),
        onFatal: (err: Error) => {
          logger.fatal({ err: oneLine(err) }, 'stopping: the store cannot be used until this is fixed');
          ctx.stderr.write(`error: ${oneLine(err)}\n`);
          void daemon!.stop().then(() => Promise.all([link?.close(), ops.close()])).then(() => process.exit(EXIT.usage));
        },
      };
      link = await startLink(first, linkOptions).catch(async (err: unknown) => {
        await ops.close();
        throw err;
      });
      let initial: Config | undefined = first;
      daemon = new Daemon({
        loadConfig: async () => {
          // The first load is the one already done above; SIGHUP reads the file again.
          const c = initial ?? (await load());
          initial = undefined;
          return c;
        },
        logger,
        now: ctx.now,
        env: ctx.env,
        observer: ops.observer,
        shared: () => link,
        // Each pass in a process of its own that exits when done: the daemon itself stays small.
        pass: passInChild(child),
        applyConfig: async (next) => {
          // The store first: a new one that cannot be used refuses the reload with everything as it was.
          link = link ? await link.reconfigure(next) : await startLink(next, linkOptions);
          await ops.reconfigure(next);
        },
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
          void daemon!.stop().then(() => Promise.all([link?.close(), ops.close()])).then(() => resolve());
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
