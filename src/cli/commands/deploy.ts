import type { Command } from 'commander';
import { deployCertificates, recoverDeploys, type DeployItem } from '../../deploy/deployer.js';
import { UsageError, oneLine } from '../../errors.js';
import { CertificateStore } from '../../store/certs.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';
import { renderTable } from '../table.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('deploy')
    .description('deploy the current stored certificates to their targets again, without contacting the CA')
    .option('--only <name>', 'only this certificate (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (opts: { only?: string[] }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx);
      const unknown = (opts.only ?? []).filter((n) => !config.certificates.some((c) => c.name === n));
      if (unknown.length) throw new UsageError(`--only ${unknown.join(', ')}: no such certificate; configured: ${config.certificates.map((c) => c.name).join(', ') || 'none'}`);
      const selected = config.certificates.filter((c) => !opts.only?.length || opts.only.includes(c.name));
      const store = new CertificateStore(config.dataDir);
      const rows: string[][] = [];
      const items: DeployItem[] = [];
      let failed = false;
      for (const cert of selected) {
        const stored = await store.read(cert.name);
        if (!cert.targets.length) rows.push([cert.name, 'no targets configured']);
        else if (stored.state === 'missing') {
          rows.push([cert.name, 'FAILED: not issued yet; run certkeeper renew first']);
          failed = true;
        } else if (stored.state === 'corrupt') {
          rows.push([cert.name, `FAILED: stored certificate unreadable: ${stored.reason}`]);
          failed = true;
        } else items.push({ cert, stored: stored.cert });
      }
      await recoverDeploys(config.dataDir, logger);
      for (const o of await deployCertificates(items, config.deploy, logger, { dataDir: config.dataDir })) {
        rows.push([o.name, o.ok ? 'deployed' : `FAILED: ${oneLine(o.error)}`]);
        failed ||= !o.ok;
      }
      ctx.stderr.write(rows.length ? renderTable(['NAME', 'RESULT'], rows) : 'no certificates configured\n');
      process.exitCode = failed ? EXIT.failed : EXIT.ok;
    });
}
