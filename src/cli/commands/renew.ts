import type { Command } from 'commander';
import { oneLine } from '../../errors.js';
import { renewPass, type CertificateResult } from '../../scheduler/pass.js';
import { daysLeft } from '../../scheduler/due.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';
import { Notifier } from '../../notify/notifier.js';
import { dnsSecrets } from '../../notify/scrub.js';
import { renderTable } from '../table.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('renew')
    .description('run one pass now: renew the certificates that are due, deploy them, exit')
    .option('--now', 'run the pass immediately (the default; kept for scripts)')
    .option('--force', 'renew every selected certificate, due or not')
    .option('--only <name>', 'only this certificate (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dry-run', "issue against the CA's staging directory and deploy nothing")
    .action(async (opts: { force?: boolean; only?: string[]; dryRun?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Alerts go out for this pass too (not for dry runs); the exit waits for them, bounded.
      const notifier = opts.dryRun ? undefined : new Notifier(config.notify, config.dataDir, logger.child({ component: 'notify' }), { now: ctx.now, secrets: dnsSecrets(config.dns) });
      let results: CertificateResult[];
      try {
        results = await renewPass(config, logger, { force: opts.force, only: opts.only, dryRun: opts.dryRun, now: ctx.now, env: ctx.env, signal: abort.signal, observer: notifier });
        await notifier?.flush(60_000);
      } finally {
        notifier?.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      ctx.stderr.write(summary(results, ctx.now()));
      process.exitCode = results.some((r) => r.result === 'failed') ? EXIT.failed : EXIT.ok;
    });
}

function summary(results: CertificateResult[], now: Date): string {
  if (results.length === 0) return 'no certificates configured\n';
  const rows = results.map((r) => {
    switch (r.result) {
      case 'renewed':
      case 'issued-dry-run':
        return [r.name, r.result === 'renewed' ? (r.deployed ? 'renewed, deployed' : 'renewed') : 'issued (dry run, not stored)', String(daysLeft(r.notAfter, now)), `${(r.ms / 1000).toFixed(1)}s`];
      case 'failed':
        return [r.name, `FAILED (${r.stage}): ${oneLine(r.error)}`, '', `${(r.ms / 1000).toFixed(1)}s`];
      case 'redeployed':
        return [r.name, 'deployed again', '', ''];
      default:
        return [r.name, `not due: ${r.decision.reason}`, '', ''];
    }
  });
  return renderTable(['NAME', 'RESULT', 'DAYS LEFT', 'TIME'], rows);
}
