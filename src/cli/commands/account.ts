import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import { deactivateAccount, rolloverKey, showAccount, updateEmail } from '../../lifecycle/account.js';
import { directoryFromOption } from '../../lifecycle/ca-access.js';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { acquireLock } from '../../store/lock.js';
import { openStore } from '../../store/open.js';
import { crashPoint } from '../../testing/crash-points.js';
import type { Store } from '../../store/store.js';
import { confirm } from '../confirm.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';
import { renderTable } from '../table.js';

const CA_OPTION = ['--ca <ca>', 'the CA whose account to use: a known name (letsencrypt, zerossl, ...) or a directory URL (default: acme.directory)'] as const;

export function register(program: Command, ctx: CliContext): void {
  const account = program.command('account').description('show or change the ACME account at a CA: show, update --email, rollover, deactivate');

  account
    .command('show')
    .description("show the account as the CA reports it: URL, status, contact, key thumbprint")
    .option(...CA_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { ca?: string; json?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const directory = directoryFromOption(config, opts.ca);
      const view = await withStore(cmd, config, false, (store, logger) => showAccount(config, store, directory, logger));
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        return;
      }
      const rows = [
        ['CA', `${view.ca} (${view.directory})`],
        ['account', view.url],
        ['status', view.status],
        ['contact', view.contact.join(', ') || '-'],
        ['key thumbprint', view.keyThumbprint],
        ...(view.eabKid ? [['EAB', `${view.eabKid} (fetched from ZeroSSL by e-mail)`]] : []),
      ];
      ctx.stdout.write(renderTable(['FIELD', 'VALUE'], rows));
    });

  account
    .command('update')
    .description("replace the account's contact e-mail at the CA")
    .requiredOption('--email <address>', 'the new contact address')
    .option(...CA_OPTION)
    .action(async (opts: { email: string; ca?: string }, cmd: Command) => {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(opts.email)) throw new UsageError(said('emailFlag', opts.email));
      const config = await configFor(cmd, ctx);
      const directory = directoryFromOption(config, opts.ca);
      const contact = await withStore(cmd, config, true, (store, logger) => updateEmail(config, store, directory, opts.email, logger));
      ctx.stdout.write(`account contact is now ${contact.join(', ')}; set acme.email to ${opts.email} too, so new accounts get it\n`);
    });

  account
    .command('rollover')
    .description('replace the account key with a new one (RFC 8555 key change); certificates and orders stay')
    .option(...CA_OPTION)
    .action(async (opts: { ca?: string }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const directory = directoryFromOption(config, opts.ca);
      const r = await withStore(cmd, config, true, (store, logger) => rolloverKey(config, store, directory, { logger, onStep: (step) => crashPoint(`after-${step}`) }));
      ctx.stdout.write(`account key replaced: thumbprint ${r.before} -> ${r.after}\n`);
    });

  account
    .command('deactivate')
    .description('deactivate the account at the CA for good; the next order registers a new one')
    .option(...CA_OPTION)
    .option('--yes', 'do not ask (needed when not on a terminal)')
    .action(async (opts: { ca?: string; yes?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const directory = directoryFromOption(config, opts.ca);
      if (!(await confirm(ctx, `Deactivate the ACME account at ${directory}? The CA will refuse it for good`, opts.yes))) {
        ctx.stdout.write('nothing changed\n');
        process.exitCode = EXIT.failed;
        return;
      }
      const r = await withStore(cmd, config, true, (store, logger) => deactivateAccount(config, store, directory, ctx.now(), { logger, onStep: (step) => crashPoint(`after-${step}`) }));
      ctx.stdout.write(`account deactivated; its key and record are kept in ${r.keptAt}; the next order registers a new account\n`);
    });

  /** The configured store (files or PostgreSQL); a change also under dataDir's lock, as a pass takes it. */
  async function withStore<T>(cmd: Command, config: Config, change: boolean, fn: (store: Store, logger: Logger) => Promise<T>): Promise<T> {
    const logger = await loggerFor(cmd, ctx, 'stderr');
    const store = await openStore(config, logger);
    try {
      const lock = change ? await acquireLock(config.dataDir, { logger }) : undefined;
      try {
        return await fn(store, logger);
      } finally {
        await lock?.release();
      }
    } finally {
      await store.close();
    }
  }
}
