import type { ResolvedCertificate } from '../config/load.js';
import { emit } from '../ops/events.js';
import type { ReadResult } from '../store/certs.js';
import { deferForBackoff, orderKey } from './backoff.js';
import { renewalDue, type DueDecision } from './due.js';
import { mapLimit } from './limit.js';
import type { IssuerIdentity } from './ports.js';
import { issuingCa } from './replaces.js';
import { failResult, type PassRun, type Results } from './run.js';

export interface Decided {
  cert: ResolvedCertificate;
  stored: ReadResult;
  decision: DueDecision;
  /** The CA and account that would issue it now. */
  issuer: IssuerIdentity;
  /** ARI certID of the stored certificate, when the CA speaks ARI. */
  certId?: string;
  /** Due, but a backoff after earlier failures holds it until then. */
  deferredUntil?: Date;
}

/**
 * Step 1: reads each certificate from the store, refreshes the CA's renewal information, and decides
 * with the pure policy (due.ts, backoff.ts). A certificate that cannot be decided (its store entry
 * unreadable right now, its state not writable) fails alone, into `results`. Bounded: thousands of
 * certificates must not exhaust file descriptors (EMFILE). `settle`, asked as each one is decided,
 * says it needs nothing more this pass: it is left out of the returned list, so its stored set is
 * garbage at once instead of living until the deploy step.
 */
export async function decide(run: PassRun, certs: ResolvedCertificate[], results: Results, settle?: (d: Decided) => Promise<boolean>): Promise<Decided[]> {
  // Once per CA chain, not per certificate: most certificates share the acme block's chain.
  const identities = new Map<ResolvedCertificate['cas'], Promise<IssuerIdentity>>();
  const identityOf = (cert: ResolvedCertificate) => identities.get(cert.cas) ?? identities.set(cert.cas, run.deps.issuer.identity(cert)).get(cert.cas)!;
  const decided = await mapLimit(certs, 64, async (cert) => {
    const t0 = Date.now();
    try {
      const d = await decideOne(run, cert, await identityOf(cert));
      return settle && (await settle(d)) ? undefined : d;
    } catch (err) {
      failResult(run, results, { cert, error: err, stage: 'issue', ms: Date.now() - t0, decision: { due: false, reason: 'could not be decided' } });
      return undefined;
    }
  });
  return decided.filter((d): d is Decided => d !== undefined);
}

async function decideOne(run: PassRun, cert: ResolvedCertificate, identity: IssuerIdentity): Promise<Decided> {
  const { store, issuer } = run.deps;
  const wake = (at: Date | string | undefined) => at && run.onWake?.(new Date(at));
  const stored = await store.certs.read(cert.name);
  let certId: string | undefined;
  // Renewal information comes from the CA that issued the certificate (the first or a fallback); another CA knows nothing of it.
  if (stored.state === 'ok' && issuingCa(identity, stored.cert.meta.directory)) {
    const known = store.state.get(cert.name).ari;
    const info = await issuer.renewalInfo(cert.name, stored.cert, known, { refresh: !run.force });
    certId = info.certId;
    if (info.ari) await store.state.update(cert.name, (s) => ({ ...s, ari: info.ari }));
  }
  const st = store.state.get(cert.name);
  const due: DueDecision = run.force ? { due: true, reason: 'forced' } : renewalDue(cert, stored, run.policy, run.now(), { window: st.ari, certId, issuer: identity });
  wake(due.renewAt);
  if (certId && st.ari?.certId === certId) wake(st.ari.nextPoll);
  const { decision, deferredUntil } = run.force ? { decision: due, deferredUntil: undefined } : deferForBackoff(due, st, run.now(), () => orderKey(cert, identity.directory));
  wake(deferredUntil);
  // Neither the log line nor the event is built when nobody takes it (10,000 certificates, nothing due).
  if (run.logger.isLevelEnabled('info')) run.logger.info({ cert: cert.name, due: decision.due, reason: decision.reason }, decision.due ? 'renewal due' : deferredUntil ? 'deferred' : 'not due');
  const ok = stored.state === 'ok' ? stored.cert : undefined;
  if (run.observer) emit(run.observer, { type: 'certificate-state', at: run.now(), name: cert.name, domains: cert.domains, notAfter: ok?.info.notAfter, issuedAt: ok ? new Date(ok.meta.issuedAt) : undefined, renewAt: decision.renewAt, due: decision.due });
  return { cert, stored, decision, issuer: identity, certId, deferredUntil };
}
