import type { DeployItem } from '../deploy/deployer.js';
import { AbortedError, oneLine, type CertkeeperError } from '../errors.js';
import { emit } from '../events.js';
import { readCertificateInfo } from '../store/x509.js';
import { afterFailure } from './backoff.js';
import type { Decided } from './decide.js';
import { mapLimit } from './limit.js';
import type { IssuedSet } from './ports.js';
import type { PassRun, Results } from './run.js';

/**
 * Step 2: issues the due certificates, at most `concurrency` orders at once, and stores each as soon
 * as it is issued. Returns what is to be deployed; every certificate's outcome goes into `results`.
 */
export async function issueDue(run: PassRun, due: Decided[], results: Results): Promise<DeployItem[]> {
  const toDeploy: DeployItem[] = [];
  await mapLimit(due, run.concurrency, async (d) => {
    const t0 = Date.now();
    try {
      const issued = await issueOne(run, d);
      if (run.dryRun) {
        results.set(d.cert.name, { name: d.cert.name, result: 'issued-dry-run', decision: d.decision, notAfter: readCertificateInfo(issued.fullchainPem).notAfter, ms: Date.now() - t0, deployed: false });
        return;
      }
      const item = await storeIssued(run, d, issued);
      results.set(d.cert.name, { name: d.cert.name, result: 'renewed', decision: d.decision, notAfter: item.stored.info.notAfter, ms: Date.now() - t0, deployed: false });
      if (d.cert.targets.length) toDeploy.push(item);
    } catch (err) {
      await recordFailure(run, d, err, t0, results);
    }
  });
  return toDeploy;
}

async function issueOne(run: PassRun, d: Decided): Promise<IssuedSet> {
  if (run.signal.aborted) throw new AbortedError('stopping: order not started');
  const { cert, stored } = d;
  return run.deps.issuer.issue(
    {
      cert,
      keyPem: cert.reuseKey && stored.state === 'ok' ? stored.cert.keyPem : undefined,
      // replaces only makes sense at the CA that issued the certificate being replaced.
      replaces: run.dryRun ? undefined : d.certId,
    },
    { signal: run.signal, onStep: (step) => run.onStep?.(cert.name, step) },
  );
}

/** Step 3: stores the issued set and clears the failure count. */
async function storeIssued(run: PassRun, d: Decided, issued: IssuedSet): Promise<DeployItem> {
  const { cert } = d;
  const t0 = Date.now();
  const saved = await run.deps.store.certs.save(cert.name, issued.fullchainPem, issued.keyPem, {
    domains: cert.domains,
    keyType: cert.keyType,
    issuedAt: run.now().toISOString(),
    directory: issued.directory,
    orderUrl: issued.orderUrl,
  });
  run.logger.info({ cert: cert.name, notAfter: saved.info.notAfter.toISOString(), ms: Date.now() - t0 }, 'certificate stored');
  await run.deps.store.state.update(cert.name, () => ({ failures: 0 }));
  return { cert, stored: saved };
}

async function recordFailure(run: PassRun, d: Decided, err: unknown, t0: number, results: Results): Promise<void> {
  const { cert, stored } = d;
  const error = err instanceof Error ? err : new Error(String(err));
  run.logger.error({ cert: cert.name, code: (err as CertkeeperError).code, err: oneLine(err), ms: Date.now() - t0 }, 'renewal failed');
  const next = run.dryRun ? undefined : afterFailure(run.deps.store.state.get(cert.name), err, run.now(), run.random);
  if (next) {
    await run.deps.store.state.update(cert.name, () => next);
    run.logger.info({ cert: cert.name, failures: next.failures, nextAttempt: next.nextAttempt }, 'will retry after backoff');
    if (next.nextAttempt) run.onWake?.(new Date(next.nextAttempt));
  }
  run.onStep?.(cert.name, 'failed');
  results.set(cert.name, { name: cert.name, result: 'failed', decision: d.decision, error, ms: Date.now() - t0, stage: 'issue' });
  emit(run.observer, { type: 'certificate-failed', at: run.now(), name: cert.name, domains: cert.domains, stage: 'issue', error: oneLine(err), code: (err as CertkeeperError).code, notAfter: stored.state === 'ok' ? stored.cert.info.notAfter : undefined });
}
