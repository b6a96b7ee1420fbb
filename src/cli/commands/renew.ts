import type { Command } from 'commander';
import { UsageError, oneLine } from '../../errors.js';
import { renewPass, type CertificateResult } from '../../scheduler/pass.js';
import { daysLeft } from '../../scheduler/due.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';
import { renderTable } from '../table.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('renew')
    .description('run one pass now: renew the certificates that are due, deploy them, exit')
    .option('--now', 'run the pass immediately (the default; kept for scripts)')
    .option('--force', 'renew every selected certificate, due or not')
    .option('--only <name>', 'only this certificate (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dry-run', "issue against the CA's staging directory and deploy nothing")
    .option('--wait <seconds>', 'if another certkeeper process is mid-pass in the same dataDir, wait this long for it (default 0: fail at once)', parseSeconds, 0)
    .action(async (opts: { force?: boolean; only?: string[]; dryRun?: boolean; wait: number }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let results: CertificateResult[];
      try {
        results = await renewPass(config, logger, {
          force: opts.force,
          only: opts.only,
          dryRun: opts.dryRun,
          now: ctx.now,
          env: ctx.env,
          signal: abort.signal,
          lock: { waitMs: opts.wait * 1000 },
        });
      } finally {
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
      case 'deferred':
        return [r.name, `waiting: ${r.decision.reason} (--force retries now)`, '', ''];
      default:
        return [r.name, `not due: ${r.decision.reason}`, '', ''];
    }
  });
  return renderTable(['NAME', 'RESULT', 'DAYS LEFT', 'TIME'], rows);
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new UsageError(`--wait ${v}: give a number of seconds, e.g. --wait 300`);
  return n;
}
