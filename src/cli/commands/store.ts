import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { acquireLock } from '../../store/lock.js';
import { FileStore } from '../../store/file-store.js';
import { moveStore } from '../../store/move.js';
import { openStore } from '../../store/open.js';
import { configFor, loggerFor, type CliContext } from '../context.js';
import { parseSeconds } from './renew.js';

export function register(program: Command, ctx: CliContext): void {
  const group = program.command('store').description('work with the store (dataDir, or PostgreSQL shared by several hosts)');
  group
    .command('migrate')
    .description('copy accounts, certificates (every kept version), state and pending TXT records between dataDir and the PostgreSQL store of the configuration; nothing is re-issued or deleted')
    .addOption(new Option('--to <store>', 'where to: postgres (from dataDir) or file (into dataDir)').choices(['postgres', 'file']).makeOptionMandatory())
    .option('--wait <seconds>', 'if a certkeeper process is mid-pass in the same dataDir, wait this long for it (default 0: fail at once)', parseSeconds, 0)
    .action(async (opts: { to: 'postgres' | 'file'; wait: number }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx, 'stderr');
      if (config.store.type !== 'postgres') {
        throw new UsageError(
          opts.to === 'postgres'
            ? 'store.type is file: first set store: { type: postgres, url, encryptionKey } in the configuration, then run this to copy dataDir into it'
            : 'store.type is file: run this while the configuration still names the postgres store, then set store.type back to file',
        );
      }
      const files = new FileStore(config.dataDir);
      // No pass of this host may write either store meanwhile; the other hosts should be stopped (docs/many-hosts.md).
      const lock = await acquireLock(config.dataDir, { waitMs: opts.wait * 1000, logger });
      try {
        const database = await openStore(config, logger);
        try {
          const [from, to] = opts.to === 'postgres' ? [files, database] : [database, files];
          const m = await moveStore(from, to);
          ctx.stdout.write(
            `copied ${m.certificates} certificate${m.certificates === 1 ? '' : 's'} (${m.versions} version${m.versions === 1 ? '' : 's'}), ${m.accounts} account${m.accounts === 1 ? '' : 's'}, ` +
              `the state of ${m.states} and ${m.pendingTxt} pending TXT record${m.pendingTxt === 1 ? '' : 's'} from ${from.where} to ${to.where}; nothing was re-issued\n` +
              (opts.to === 'postgres'
                ? 'next: start certkeeper run on each host with this configuration (dataDir keeps its copy until you remove it)\n'
                : 'next: set store.type to file and restart certkeeper (the database keeps its copy until you drop the schema)\n'),
          );
        } finally {
          await database.close();
        }
      } finally {
        await lock.release();
      }
    });
}
