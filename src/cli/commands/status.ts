import type { Command } from 'commander';
import { caName } from '../../acme/known-cas.js';
import { daysLeft } from '../../scheduler/due.js';
import { issuerIdentities, standing } from '../../scheduler/standing.js';
import { mapLimit } from '../../scheduler/limit.js';
import { CertificateStore } from '../../store/certs.js';
import { configFor, messagesFor, type CliContext } from '../context.js';
import { colorEnabled, palette } from '../render/color.js';
import { renderStatus, type StatusEntry } from '../render/status.js';
import { StateStore, type CertState } from '../../store/state.js';

export type { StatusEntry } from '../render/status.js';

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
      const issuerOf = issuerIdentities(config.dataDir);
      const entries: StatusEntry[] = await mapLimit(
        config.certificates,
        64,
        async (c) => {
          const stored = await store.read(c.name);
          const { due, decision, deferredUntil, humanAction } = await standing(c, stored, state.get(c.name), config.renew, now, issuerOf(c.cas));
          const info = stored.state === 'ok' ? stored.cert.info : undefined;
          return {
            name: c.name,
            domains: c.domains,
            state: stored.state,
            ca: stored.state === 'ok' ? caName(stored.cert.meta.directory) : null,
            issuer: info?.issuer ?? null,
            revoked: stored.state === 'ok' && stored.cert.meta.revoked ? `${stored.cert.meta.revoked.at} (${stored.cert.meta.revoked.reason})` : null,
            notAfter: info?.notAfter.toISOString() ?? null,
            daysLeft: info ? daysLeft(info.notAfter, now) : null,
            due: due.due,
            reason: decision.reason,
            renewAt: due.renewAt?.toISOString() ?? null,
            nextAttempt: deferredUntil?.toISOString() ?? null,
            humanAction: humanAction ?? null,
          };
        },
      );
      await store.flush();
      // Certificates dropped from the configuration stay in the store until `certkeeper remove`.
      const unconfigured = (await store.list()).filter((n) => !config.certificates.some((c) => c.name === n));
      if (opts.json) {
        const leftovers = unconfigured.map((name) => ({ name, configured: false }));
        ctx.stdout.write(`${JSON.stringify([...entries.map((e) => ({ ...e, configured: true })), ...leftovers], null, 2)}\n`);
        return;
      }
      ctx.stdout.write(renderStatus(entries, messagesFor(cmd, ctx), palette(colorEnabled(ctx.stdout, ctx.env)), unconfigured));
    });
}
