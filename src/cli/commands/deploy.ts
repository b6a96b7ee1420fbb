import type { Command } from 'commander';
import { recoverDeploys, type DeployItem } from '../../deploy/deployer.js';
import { UsageError, oneLine } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { acquireLock } from '../../store/lock.js';
import { hasTargets } from '../../targets/has-targets.js';
import { openDeployer, type TargetOutcome } from '../../targets/deployer.js';
import { openStore } from '../../store/open.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';
import { parseSeconds } from './renew.js';
import { renderTable } from '../table.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('deploy')
    .description('deploy the current stored certificates to their targets again, without contacting the CA')
    .option('--only <name>', 'only this certificate (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--wait <seconds>', 'if another certkeeper process is mid-pass in the same dataDir, wait this long for it (default 0: fail at once)', parseSeconds, 0)
    .action(async (opts: { only?: string[]; wait: number }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx);
      const unknown = (opts.only ?? []).filter((n) => !config.certificates.some((c) => c.name === n));
      if (unknown.length) throw new UsageError(said('noSuchCertificates', unknown, config.certificates.map((c) => c.name)));
      const selected = config.certificates.filter((c) => !opts.only?.length || opts.only.includes(c.name));
      const store = await openStore(config, logger);
      const rows: string[][] = [];
      const items: DeployItem[] = [];
      let failed = false;
      // A pass in another process may be mid-deploy: its journal is not ours to recover, and its
      // files not ours to replace, until it has finished.
      const lock = await acquireLock(config.dataDir, { waitMs: opts.wait * 1000, logger }).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
      try {
        for (const cert of selected) {
          const stored = await store.certs.read(cert.name);
          if (!hasTargets(cert)) rows.push([cert.name, 'no targets configured']);
          else if (stored.state === 'missing') {
            rows.push([cert.name, 'FAILED: not issued yet; run certkeeper renew first']);
            failed = true;
          } else if (stored.state === 'corrupt') {
            rows.push([cert.name, `FAILED: stored certificate unreadable: ${stored.reason}`]);
            failed = true;
          } else items.push({ cert, stored: stored.cert });
        }
        await recoverDeploys(config.dataDir, logger);
        const deployer = await openDeployer(config, logger, { env: ctx.env, now: ctx.now });
        const outcomes = await deployer.deploy(items);
        for (const o of outcomes) {
          rows.push([o.name, o.ok ? 'deployed' : `FAILED: ${oneLine(o.error)}`]);
          // A cloud target also says what it bound where.
          for (const t of o.targets.filter((x) => x.ok && x.changed !== undefined)) rows.push([`  ${t.id}`, cloudSummary(t)]);
          failed ||= !o.ok;
        }
        // A shared store's fleet view learns what this host now serves.
        const serial = (name: string) => items.find((i) => i.cert.name === name)!.stored.info.serial;
        await store.shared?.recordDeploys(outcomes.map((o) => ({ name: o.name, serial: serial(o.name), ok: o.ok, ...(o.error ? { error: oneLine(o.error) } : {}) }))).catch((err: unknown) => logger.warn({ err: oneLine(err) }, 'could not record the deploys in the store'));
      } finally {
        await lock.release();
        await store.close();
      }
      ctx.stderr.write(rows.length ? renderTable(['NAME', 'RESULT'], rows) : 'no certificates configured\n');
      process.exitCode = failed ? EXIT.failed : EXIT.ok;
    });
}

/** "clb lb-1/lbl-2 (ap-guangzhou): bound; deleted AbC123" */
function cloudSummary(t: TargetOutcome): string {
  return [...(t.bound ?? []), ...(t.removed ?? [])].join('; ');
}
