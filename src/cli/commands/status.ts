import type { Command } from 'commander';
import { caName } from '../../acme/known-cas.js';
import { daysLeft } from '../../scheduler/due.js';
import { isoString } from '../../iso-time.js';
import { accountIdentities, standing } from '../../scheduler/standing.js';
import { mapLimit } from '../../scheduler/limit.js';
import { CertificateStore, type ReadResult } from '../../store/certs.js';
import { openStore } from '../../store/open.js';
import type { FleetCertificate } from '../../store/shared.js';
import { configFor, loggerFor, messagesFor, type CliContext } from '../context.js';
import { colorEnabled, palette } from '../render/color.js';
import { renderStatus, type StatusEntry } from '../render/status.js';
import type { CertState } from '../../store/state.js';
import { TargetRecordFile, type TargetRecord } from '../../store/targets.js';
import type { ResolvedCertificate } from '../../config/load.js';
import type { TargetStatus } from '../render/status.js';
import type { IssuerIdentity } from '../../scheduler/ports.js';

export type { StatusEntry } from '../render/status.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show every configured certificate: names, issuer, expiry, days left, whether it is due, and (with a shared store) what each host serves')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const store = await openStore(config, await loggerFor(cmd, ctx, 'stderr'));
      try {
        const now = ctx.now();
        const state = await store.openState({ readOnly: true }).catch(() => undefined).then((s) => s ?? { get: () => ({ failures: 0 }) as CertState });
        // Once per CA chain and per directory, not per certificate: most certificates share the acme block's chain.
        const identities = accountIdentities(store.accounts);
        // Resolved before the rows, so a row awaits only its own read (the file store's is synchronous underneath).
        const issuers = new Map<ResolvedCertificate['cas'], IssuerIdentity>();
        for (const c of config.certificates) if (!issuers.has(c.cas)) issuers.set(c.cas, await identities(c.cas));
        const caNames = new Map<string, string>();
        const caOf = (directory: string) => caNames.get(directory) ?? caNames.set(directory, caName(directory)).get(directory)!;
        const records = await TargetRecordFile.open(config.dataDir, { readOnly: true }).catch(() => undefined);
        const fleet = store.shared ? new Map((await store.shared.fleet()).map((f): [string, FleetCertificate] => [f.name, f])) : undefined;
        const row = (c: ResolvedCertificate, stored: ReadResult, targets: Record<string, TargetRecord> | undefined): StatusEntry => {
          const { due, decision, deferredUntil, humanAction } = standing(c, stored, state.get(c.name), config.renew, now, issuers.get(c.cas)!);
          const ok = stored.state === 'ok' ? stored.cert : undefined;
          const info = ok?.info;
          const entry: StatusEntry = {
            name: c.name,
            domains: c.domains,
            state: stored.state,
            ca: ok ? caOf(ok.meta.directory) : null,
            issuer: info?.issuer ?? null,
            revoked: ok?.meta.revoked ? `${ok.meta.revoked.at} (${ok.meta.revoked.reason})` : null,
            notAfter: info ? isoString(info.notAfter) : null,
            daysLeft: info ? daysLeft(info.notAfter, now) : null,
            due: due.due,
            reason: decision.reason,
            renewAt: due.renewAt ? isoString(due.renewAt) : null,
            nextAttempt: deferredUntil?.toISOString() ?? null,
            humanAction: humanAction ?? null,
            serial: info?.serial ?? null,
            targets: targetStatus(c, info?.serial, targets),
          };
          if (fleet) entry.hosts = fleet.get(c.name)?.hosts ?? [];
          return entry;
        };
        // None for a certificate never deployed: looking its targets up in an empty object costs a string-table probe each.
        const recordsOf = (c: ResolvedCertificate) => (records && hasTargets(c) && records.has(c.name) ? records.allNow(c.name) : undefined);
        // The file store reads synchronously underneath: a plain loop, not 10,000 promises (PostgreSQL: 64 queries in flight).
        const { certs } = store;
        const entries: StatusEntry[] =
          certs instanceof CertificateStore
            ? config.certificates.map((c) => row(c, certs.readNow(c.name), recordsOf(c)))
            : await mapLimit(config.certificates, 64, async (c) => row(c, await certs.read(c.name), recordsOf(c)));
        // The file store's facts index, so the next status or pass reads one file (PostgreSQL: nothing to write).
        await store.certs.flush?.();
        // Certificates dropped from the configuration stay in the store until `certkeeper remove`.
        const configured = new Set(config.certificates.map((c) => c.name));
        const unconfigured = (await store.certs.list()).filter((n) => !configured.has(n));
        if (opts.json) {
          // `configured` last, as the printed JSON has always had it; set in place, not copied per row.
          const rows: object[] = entries.map((e) => Object.assign(e, { configured: true }));
          for (const name of unconfigured) rows.push({ name, configured: false });
          ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        ctx.stdout.write(renderStatus(entries, messagesFor(cmd, ctx), palette(colorEnabled(ctx.stdout, ctx.env)), unconfigured));
      } finally {
        await store.close();
      }
    });
}

function hasTargets(cert: ResolvedCertificate): boolean {
  return cert.targets.length > 0 || (cert.cloudTargets?.length ?? 0) > 0;
}

/** Each configured target with its last recorded deploy; "current" when it was of the serial stored now. */
function targetStatus(cert: ResolvedCertificate, serial: string | undefined, records: Record<string, TargetRecord> | undefined): TargetStatus[] {
  const out: TargetStatus[] = [];
  for (const t of cert.targets) out.push(targetRow(t.id, t.layout, serial, records?.[t.id]));
  for (const t of cert.cloudTargets ?? []) out.push(targetRow(t.id, t.type, serial, records?.[t.id]));
  return out;
}

function targetRow(id: string, type: string, serial: string | undefined, r: TargetRecord | undefined): TargetStatus {
  return { id, type, result: r?.result ?? null, at: r?.at ?? null, current: r !== undefined && r.serial === serial, where: r?.bound ?? [], error: r?.error ?? null };
}
