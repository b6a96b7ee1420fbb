import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { DeployedCopies, type DeployedCopy } from '../deploy/deployed-copies.js';
import { oneLine } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import { THRESHOLDS } from '../ops/notify/expiring.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { mapLimit } from './limit.js';
import type { CertificateResult } from './pass.js';

export interface InUse {
  notAfter: Date;
  where: string;
}

/** The readable copy that expires first; the stored certificate when no deployed copy could be read. Pure. */
export function certificateInUse(copies: DeployedCopy[], stored: InUse | undefined): InUse | undefined {
  let first: InUse | undefined;
  for (const c of copies) if (c.notAfter && (!first || c.notAfter < first.notAfter)) first = { notAfter: c.notAfter, where: c.where };
  return first ?? stored;
}

/**
 * Why the certificate in use is not being replaced, from what the pass did with it. Pure. A copy
 * older than the stored certificate means the deploy, not the renewal, is what is stuck.
 */
export function whyNotReplaced(result: CertificateResult | undefined, inUse: InUse, storedNotAfter: Date | undefined, passError?: string): string {
  const parts: string[] = [];
  if (storedNotAfter && storedNotAfter > inUse.notAfter) {
    parts.push(`a newer certificate (valid until ${storedNotAfter.toISOString().slice(0, 10)}) is stored but not in use at ${inUse.where}`);
  }
  if (!result) parts.push(passError ? `the renewal pass failed: ${passError}` : 'no renewal pass looked at it');
  else if (result.result === 'failed') parts.push(`${result.stage === 'deploy' ? 'deploying' : 'renewing'} failed: ${oneLine(result.error)}`);
  else if (result.result === 'deferred') parts.push(result.decision.reason);
  else if (result.result === 'not-due') parts.push(`not due for renewal yet (${result.decision.reason})`);
  else if (!parts.length) parts.push(`${result.result} in this pass`);
  return parts.join('; ');
}

export interface InUseCheckOptions {
  observer?: Observer;
  now: () => Date;
  logger: Logger;
  /** Keep one across passes (the daemon) so unchanged files are not parsed again. */
  copies?: DeployedCopies;
  /** What the pass threw, when it did not get as far as results. */
  passError?: unknown;
  /** The store to read (the daemon's, kept open); opened when needed and closed after otherwise. */
  store?: Pick<Store, 'certs'>;
}

/**
 * After every pass, whatever it did: reports the certificate in use for each certificate the pass
 * covered, so the 14/7/3/1-day ladder walks from what is deployed and served rather than from
 * renewal attempts (a certificate deferred by backoff, not yet due, or whose deploy keeps failing is
 * never attempted, yet it expires all the same). Runs only when an alert channel wants `expiring`.
 */
export async function checkCertificatesInUse(config: Config, results: CertificateResult[] | undefined, opts: InUseCheckOptions): Promise<void> {
  if (!opts.observer || !config.notify?.channels.some((c) => c.on.includes('expiring'))) return;
  const byName = new Map(results?.map((r) => [r.name, r]));
  const certs = results ? config.certificates.filter((c) => byName.has(c.name)) : config.certificates;
  let opened: Promise<Store> | undefined;
  const store = async () => opts.store ?? (await (opened ??= openStore(config, opts.logger)));
  const copies = opts.copies ?? new DeployedCopies();
  const passError = opts.passError === undefined ? undefined : oneLine(opts.passError);
  const horizon = opts.now().getTime() + THRESHOLDS[0] * 86_400_000;
  await mapLimit(certs, 16, async (cert) => {
    try {
      const found = await copies.of(cert);
      let inUse = certificateInUse(found, undefined);
      let reason = '';
      // The store is read only when an alert may follow: thousands of healthy certificates cost a stat each.
      if (!inUse || inUse.notAfter.getTime() <= horizon) {
        const stored = await (await store()).certs.read(cert.name);
        const storedInUse = stored.state === 'ok' ? { notAfter: stored.cert.info.notAfter, where: `${stored.cert.dir} (stored, not deployed)` } : undefined;
        inUse = certificateInUse(found, storedInUse);
        // Nothing issued and nothing deployed: the failure alerts speak for it.
        if (!inUse) return;
        reason = whyNotReplaced(byName.get(cert.name), inUse, storedInUse?.notAfter, passError);
      }
      emit(opts.observer, { type: 'certificate-in-use', at: opts.now(), name: cert.name, domains: cert.domains, notAfter: inUse.notAfter, where: inUse.where, reason });
    } catch (err) {
      opts.logger.warn({ cert: cert.name, err: oneLine(err) }, 'cannot check the certificate in use');
    }
  });
  if (opened) await (await opened.catch(() => undefined))?.close();
}
