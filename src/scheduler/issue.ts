import { checkIssued } from '../acme/issued.js';
import type { DeployItem } from '../deploy/deployer.js';
import { AbortedError, PassTimeoutError, oneLine, type CertkeeperError } from '../errors.js';
import { readCertificateInfo } from '../store/x509.js';
import { hasTargets } from '../targets/has-targets.js';
import { afterFailure, humanActionNote, orderKey } from './backoff.js';
import type { Decided } from './decide.js';
import { mapLimit } from './limit.js';
import type { Claim } from '../store/shared.js';
import type { IssuedSet } from './ports.js';
import { issuingCa, replacesFor } from './replaces.js';
import { failResult, type PassRun, type Results } from './run.js';

/**
 * Step 2: issues the due certificates, at most `concurrency` orders at once, and stores each as soon
 * as it is issued (step 3). Returns what is to be deployed. Every error stays with its certificate:
 * the other orders go on, and the pass ends only when every order has.
 */
export async function issueDue(run: PassRun, due: Decided[], results: Results): Promise<DeployItem[]> {
  const toDeploy: DeployItem[] = [];
  await mapLimit(due, run.concurrency, async (d) => {
    const t0 = Date.now();
    try {
      const outcome = await claimed(run, d, async (fresh, held) => {
        if (fresh) return fresh;
        const issued = await issueOne(run, d, held);
        // Before anything keeps it: the key must be this order's, the names the configured ones.
        checkIssued(d.cert.name, issued.fullchainPem, issued.keyPem, d.cert.domains);
        if (run.dryRun) {
          results.set(d.cert.name, { name: d.cert.name, result: 'issued-dry-run', decision: d.decision, notAfter: readCertificateInfo(issued.fullchainPem).notAfter, ms: Date.now() - t0, deployed: false });
          return undefined;
        }
        // Stored only while held: after a lost database connection, once it is held again.
        await held?.ensure(run.signal);
        const stored = await storeIssued(run, d, issued);
        results.set(d.cert.name, { name: d.cert.name, result: 'renewed', decision: d.decision, notAfter: stored.stored.info.notAfter, ms: Date.now() - t0, deployed: false });
        return stored;
      });
      if ('busy' in outcome) return heldElsewhere(run, d, outcome.busy, results);
      const item = outcome.value;
      if (item && !results.has(d.cert.name)) {
        const decision = { due: false, reason: 'renewed by another host meanwhile' };
        results.set(d.cert.name, hasTargets(d.cert) ? { name: d.cert.name, result: 'redeployed', decision } : { name: d.cert.name, result: 'not-due', decision });
      }
      if (item && hasTargets(d.cert)) toDeploy.push(item);
    } catch (thrown) {
      // A call killed by the daemon's pass deadline failed because of that deadline: say so (daemon.ts).
      const err = run.signal.reason instanceof PassTimeoutError && !(thrown instanceof AbortedError) ? run.signal.reason : thrown;
      await recordFailure(run, d, err, t0, results);
    }
  });
  return toDeploy;
}

/** How soon a certificate another host holds is looked at again: its order has ended, or its holder died. */
export const HELD_ELSEWHERE_RETRY_MS = 60_000;

/**
 * With a store several hosts share: holds the certificate while it is ordered and reads it again
 * first; `fn` gets the stored set when another host renewed it meanwhile (nothing to order then).
 * Another host holding it now is an answer, not an error: it is ordering it.
 */
async function claimed<T>(run: PassRun, d: Decided, fn: (renewedElsewhere: DeployItem | undefined, held?: Claim) => Promise<T>): Promise<{ value: T } | { busy: string }> {
  const { store } = run.deps;
  if (!store.claim) return { value: await fn(undefined) };
  const answer = await store.claim(d.cert.name);
  if ('busy' in answer) return answer;
  const held = answer.claim;
  try {
    const fresh = await store.certs.read(d.cert.name);
    const before = d.stored.state === 'ok' ? d.stored.cert.info.fingerprint256 : undefined;
    const renewed = fresh.state === 'ok' && fresh.cert.info.fingerprint256 !== before;
    if (renewed) run.logger.info({ cert: d.cert.name }, 'renewed by another host meanwhile; not ordering');
    return { value: await fn(renewed ? { cert: d.cert, stored: fresh.cert } : undefined, held) };
  } finally {
    await held.release();
  }
}

/** Another host is ordering it: deferred here, and looked at again shortly (its version arrives before, or it died). */
function heldElsewhere(run: PassRun, d: Decided, holder: string, results: Results): void {
  const until = new Date(run.now().getTime() + HELD_ELSEWHERE_RETRY_MS);
  run.logger.info({ cert: d.cert.name, holder }, 'another host is renewing it; not ordering here');
  run.onWake?.(until);
  results.set(d.cert.name, { name: d.cert.name, result: 'deferred', decision: { ...d.decision, reason: `being renewed by ${holder}` }, until });
}

async function issueOne(run: PassRun, d: Decided, held: Claim | undefined): Promise<IssuedSet> {
  if (run.signal.aborted) throw new AbortedError('stopping: order not started');
  const { cert, stored } = d;
  // Judged against the CA that issued the stored certificate, which may be a fallback CA.
  const replaces = replacesFor(stored, d.certId, (stored.state === 'ok' && issuingCa(d.issuer, stored.cert.meta.directory)) || d.issuer, cert.domains, run.now());
  if (stored.state === 'ok') run.logger.info({ cert: cert.name, replaces: replaces.hint?.certId, why: replaces.reason }, replaces.hint ? 'the order names the certificate it replaces' : 'the order does not name the certificate it replaces');
  return run.deps.issuer.issue(
    {
      cert,
      keyPem: cert.reuseKey && stored.state === 'ok' ? stored.cert.keyPem : undefined,
      // A dry run must not mark the real certificate as replaced at the CA.
      replaces: run.dryRun ? undefined : replaces.hint,
    },
    // A hold lost for good (another host took the certificate over) stops the order like a shutdown.
    { signal: held ? AbortSignal.any([run.signal, held.signal]) : run.signal, onStep: (step, detail) => run.onStep?.(cert.name, step, detail) },
  );
}

/** Step 3: stores the issued set, then clears the failure count (best effort: the set is safe either way). */
async function storeIssued(run: PassRun, d: Decided, issued: IssuedSet): Promise<DeployItem> {
  const { cert } = d;
  const t0 = Date.now();
  const saved = await run.deps.store.certs.save(cert.name, issued.fullchainPem, issued.keyPem, {
    domains: cert.domains,
    keyType: cert.keyType,
    issuedAt: run.now().toISOString(),
    directory: issued.directory,
    account: issued.account,
    orderUrl: issued.orderUrl,
  });
  run.logger.info({ cert: cert.name, notAfter: saved.info.notAfter.toISOString(), ms: Date.now() - t0 }, 'certificate stored');
  await run.deps.store.state
    .update(cert.name, (s) => ({ failures: 0, ...(s.deployedFiles ? { deployedFiles: s.deployedFiles } : {}) }))
    .catch((err: unknown) => run.logger.warn({ cert: cert.name, err: oneLine(err) }, 'could not clear the failure count; the certificate is stored and will be deployed'));
  return { cert, stored: saved };
}

/** A failed order: logged, its backoff recorded (a failed write is logged, never thrown), reported. */
async function recordFailure(run: PassRun, d: Decided, err: unknown, t0: number, results: Results): Promise<void> {
  const { cert, stored } = d;
  run.logger.error({ cert: cert.name, code: (err as CertkeeperError).code, err: oneLine(err), ms: Date.now() - t0 }, 'renewal failed');
  let humanAction: string | undefined;
  try {
    const next = run.dryRun ? undefined : afterFailure(run.deps.store.state.get(cert.name), err, run.now(), orderKey(cert, d.issuer.directory), run.random);
    if (next) {
      humanAction = humanActionNote(next);
      await run.deps.store.state.update(cert.name, () => next);
      run.logger.info({ cert: cert.name, failures: next.failures, nextAttempt: next.nextAttempt }, humanAction ? 'retrying cannot fix this: a human must act' : 'will retry after backoff');
      if (next.nextAttempt) run.onWake?.(new Date(next.nextAttempt));
    }
  } catch (e) {
    run.logger.error({ cert: cert.name, err: oneLine(e) }, 'could not record the failure; the next pass retries without a backoff');
  }
  failResult(run, results, { cert, error: err, stage: 'issue', ms: Date.now() - t0, decision: d.decision, notAfter: stored.state === 'ok' ? stored.cert.info.notAfter : undefined, humanAction });
}
