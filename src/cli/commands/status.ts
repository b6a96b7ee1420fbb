import type { Command } from 'commander';
import { renewalDue, daysLeft } from '../../scheduler/due.js';
import { mapLimit } from '../../scheduler/limit.js';
import { CertificateStore } from '../../store/certs.js';
import { configFor, type CliContext } from '../context.js';
import { renderTable } from '../table.js';

export interface StatusEntry {
  name: string;
  domains: string[];
  state: 'ok' | 'missing' | 'corrupt';
  issuer: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  due: boolean;
  reason: string;
  renewAt: string | null;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show every configured certificate: names, issuer, expiry, days left, and whether it is due')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const store = new CertificateStore(config.dataDir);
      const now = ctx.now();
      const entries: StatusEntry[] = await mapLimit(
        config.certificates,
        64,
        async (c) => {
          const stored = await store.read(c.name);
          const d = renewalDue(c, stored, config.renew, now);
          const info = stored.state === 'ok' ? stored.cert.info : undefined;
          return {
            name: c.name,
            domains: c.domains,
            state: stored.state,
            issuer: info?.issuer ?? null,
            notAfter: info?.notAfter.toISOString() ?? null,
            daysLeft: info ? daysLeft(info.notAfter, now) : null,
            due: d.due,
            reason: d.reason,
            renewAt: d.renewAt?.toISOString() ?? null,
          };
        },
      );
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      ctx.stdout.write(
        renderTable(
          ['NAME', 'DOMAINS', 'ISSUER', 'NOT AFTER', 'DAYS LEFT', 'DUE'],
          entries.map((e) => [
            e.name,
            e.domains.join(','),
            e.issuer ?? '-',
            e.notAfter?.slice(0, 10) ?? '-',
            e.daysLeft === null ? '-' : String(e.daysLeft),
            e.due ? `yes: ${e.reason}` : 'no',
          ]),
        ),
      );
    });
}
