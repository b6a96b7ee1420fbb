import type { Command } from 'commander';
import { renewalDue, daysLeft } from '../../scheduler/due.js';
import { certIdOf } from '../../acme/ari.js';
import { CertificateStore } from '../../store/certs.js';
import { StateStore, type CertState } from '../../store/state.js';
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
      const state = await StateStore.open(config.dataDir, undefined, { readOnly: true }).catch(() => undefined).then((s) => s ?? { get: () => ({ failures: 0 }) as CertState });
      const entries: StatusEntry[] = await Promise.all(
        config.certificates.map(async (c) => {
          const stored = await store.read(c.name);
          const st = state.get(c.name);
          let certId: string | undefined;
          try {
            certId = stored.state === 'ok' ? certIdOf(stored.cert.fullchainPem) : undefined;
          } catch {
            certId = undefined;
          }
          const d = renewalDue(c, stored, config.renew, now, { window: st.ari, certId });
          if (d.due && st.nextAttempt && new Date(st.nextAttempt) > now) {
            d.reason = `${d.reason}; backing off after ${st.failures} failure(s) until ${st.nextAttempt} (last error: ${st.lastError ?? 'unknown'})`;
          }
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
        }),
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
