import type { Logger } from 'pino';
import type { OrderStep } from '../acme/order.js';
import type { AcmeSession } from '../acme/session.js';
import type { Config, ResolvedCertificate } from '../config/load.js';
import { DIRECTORIES } from '../config/schema.js';
import { deployCertificates, deployedMatches, recoverDeploys, type DeployItem } from '../deploy/deployer.js';
import { DnsProviders } from '../dns/instances.js';
import { AbortedError, AcmeError, CertkeeperError, UsageError, oneLine } from '../errors.js';
import { emit, observeDns, type Observer } from '../events.js';
import { challengeRouter } from '../dns/alias.js';
import { dnsLookupsForPass } from '../dns/lookups.js';
import { pendingTxtForPass } from '../dns/pending.js';
import { CertificateStore } from '../store/certs.js';
import { acquireLock, type LockOptions } from '../store/lock.js';
import { StateStore } from '../store/state.js';
import { nextAttemptAt } from './backoff.js';
import { renewalDue, type DueDecision } from './due.js';
import { mapLimit } from './limit.js';
import { ProfileError, checkedProfile, directoryLoader, forcedCertId, refreshRenewalInfo } from './renewal-info.js';

export interface PassOptions {
  force?: boolean;
  only?: string[];
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  onStep?: (name: string, step: OrderStep | 'deployed' | 'failed' | 'skipped', detail?: string) => void;
  /** Lock wait and staleness; the pass always holds dataDir's lock. */
  lock?: Pick<LockOptions, 'waitMs' | 'staleMs' | 'heartbeatMs'>;
  /** Called with each time at which something should be looked at again (backoff end, window, ARI poll). */
  onWake?: (at: Date) => void;
  random?: () => number;
  /** Receives pass, certificate, DNS and deploy events (metrics, health, alerts); never blocks the pass. */
  observer?: Observer;
}

export type CertificateResult =
  | { name: string; result: 'not-due'; decision: DueDecision }
  | { name: string; result: 'renewed' | 'issued-dry-run'; decision: DueDecision; notAfter: Date; ms: number; deployed: boolean }
  | { name: string; result: 'failed'; decision: DueDecision; error: CertkeeperError | Error; ms: number; stage: 'issue' | 'deploy' }
  | { name: string; result: 'redeployed'; decision: DueDecision }
  | { name: string; result: 'deferred'; decision: DueDecision; until: Date };

/** Staging directory for --dry-run: the CA's own test endpoint where one exists, else the configured CA. */
export function dryRunDirectory(directory: string): string {
  if (directory === DIRECTORIES.letsencrypt) return DIRECTORIES['letsencrypt-staging']!;
  if (directory === DIRECTORIES.google) return DIRECTORIES['google-staging']!;
  return directory;
}

/**
 * One pass over the configured certificates: decide which are due, issue those (a bounded number
 * at once, one account), store them, then deploy everything new in one go per server. This is the
 * single core that `renew --now` and the daemon both call.
 */
export async function renewPass(config: Config, logger: Logger, opts: PassOptions = {}): Promise<CertificateResult[]> {
  const now = opts.now ?? (() => new Date());
  const signal = opts.signal ?? new AbortController().signal;
  const unknown = (opts.only ?? []).filter((n) => !config.certificates.some((c) => c.name === n));
  if (unknown.length) {
    throw new UsageError(`--only ${unknown.join(', ')}: no such certificate; configured: ${config.certificates.map((c) => c.name).join(', ') || 'none'}`);
  }
  const selected = config.certificates.filter((c) => !opts.only?.length || opts.only.includes(c.name));
  const passStart = Date.now();
  // One pass at a time per dataDir. Everything below reads the store after taking the lock, so a
  // certificate another process renewed meanwhile is simply not due any more.
  const lock = await acquireLock(config.dataDir, { ...opts.lock, logger, signal });
  try {
    emit(opts.observer, { type: 'pass-start', at: now(), certificates: selected.map((c) => c.name) });
    const results = await lockedPass(config, logger, opts, selected, now, signal);
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.result] = (counts[r.result] ?? 0) + 1;
    logger.info({ ...counts, ms: Date.now() - passStart }, 'pass finished');
    for (const r of results) {
      if (r.result === 'renewed') emit(opts.observer, { type: 'certificate-renewed', at: now(), name: r.name, domains: selected.find((c) => c.name === r.name)!.domains, notAfter: r.notAfter, deployed: r.deployed });
    }
    const names = (k: CertificateResult['result']) => results.filter((r) => r.result === k).map((r) => r.name);
    emit(opts.observer, { type: 'pass-end', at: now(), ms: Date.now() - passStart, renewed: names('renewed'), failed: names('failed') });
    return results;
  } finally {
    await lock.release();
  }
}

async function lockedPass(
  config: Config,
  logger: Logger,
  opts: PassOptions,
  selected: ResolvedCertificate[],
  now: () => Date,
  signal: AbortSignal,
): Promise<CertificateResult[]> {
  const store = new CertificateStore(config.dataDir);
  // Settle a deploy a crash left half done before comparing deployed files with the store: recovery
  // may put the old files back, and the comparison below must see the files as they will stay.
  await recoverDeploys(config.dataDir, logger);
  const state = await StateStore.open(config.dataDir, logger);
  const providers = new DnsProviders(config, logger, opts.env);
  const dnsLookups = dnsLookupsForPass(config); // one nameserver cache for the whole pass
  // Challenge records a killed run left in DNS go first, before new orders write at the same names.
  const pendingTxt = await pendingTxtForPass(config.dataDir, config.dns, (e) => providers.get(e), logger, signal);
  const directoryUrl = opts.dryRun ? dryRunDirectory(config.acme.directory) : config.acme.directory;
  const directory = directoryLoader(config.acme.directory, config.acme.caBundle);
  const wake = (at: Date | string | undefined) => at && opts.onWake?.(new Date(at));

  // Bounded: thousands of certificates must not exhaust file descriptors (EMFILE).
  const decided = await mapLimit(
    selected,
    64,
    async (cert) => {
      const stored = await store.read(cert.name);
      const certId =
        stored.state !== 'ok'
          ? undefined
          : opts.force
            ? await forcedCertId(stored.cert.fullchainPem, directory)
            : await refreshRenewalInfo(cert.name, stored.cert, state, directory, { now, logger, random: opts.random, signal });
      const st = state.get(cert.name);
      let decision: DueDecision = opts.force
        ? { due: true, reason: 'forced' }
        : renewalDue(cert, stored, config.renew, now(), { window: st.ari, certId });
      wake(decision.renewAt);
      if (st.ari?.certId === certId) wake(st.ari?.nextPoll);
      let deferredUntil: Date | undefined;
      if (decision.due && !opts.force && st.nextAttempt && new Date(st.nextAttempt) > now()) {
        deferredUntil = new Date(st.nextAttempt);
        decision = { due: false, renewAt: deferredUntil, reason: `due (${decision.reason}) but backing off after ${st.failures} failure(s) until ${st.nextAttempt}; last error: ${st.lastError ?? 'unknown'}` };
        wake(deferredUntil);
      }
      logger.info({ cert: cert.name, due: decision.due, reason: decision.reason }, decision.due ? 'renewal due' : deferredUntil ? 'deferred' : 'not due');
      const ok = stored.state === 'ok' ? stored.cert : undefined;
      emit(opts.observer, { type: 'certificate-state', at: now(), name: cert.name, domains: cert.domains, notAfter: ok?.info.notAfter, issuedAt: ok ? new Date(ok.meta.issuedAt) : undefined, renewAt: decision.renewAt, due: decision.due });
      return { cert, stored, decision, certId, deferredUntil };
    },
  );

  const due = decided.filter((d) => d.decision.due);
  let session: Promise<AcmeSession> | undefined;
  // The ACME stack (acme-client, axios, forge) loads only when something is due: a pass with nothing
  // to do starts in a fraction of the time.
  const acmeStack = due.length ? Promise.all([import('../acme/account.js'), import('../acme/order.js')]) : undefined;
  const account = () => (session ??= acmeStack!.then(([{ openAccount }]) => openAccount(config.acme, config.dataDir, logger, directoryUrl)));
  let profile: Promise<string | undefined> | undefined;
  const checkProfile = () =>
    (profile ??= checkedProfile(config.acme.profile, opts.dryRun ? directoryLoader(directoryUrl, config.acme.caBundle) : directory, directoryUrl));

  const results = new Map<string, CertificateResult>();
  const toDeploy: DeployItem[] = [];
  const started = new Map<string, number>();

  await mapLimit(due, opts.concurrency ?? config.renew.concurrency, async ({ cert, stored, decision, certId }) => {
    const t0 = Date.now();
    started.set(cert.name, t0);
    try {
      if (signal.aborted) throw new AbortedError('stopping: order not started');
      const request = {
        name: cert.name,
        domains: cert.domains,
        keyType: cert.keyType,
        keyPem: cert.reuseKey && stored.state === 'ok' ? stored.cert.keyPem : undefined,
        // replaces only makes sense at the CA that issued the certificate being replaced.
        replaces: opts.dryRun ? undefined : certId,
        profile: await checkProfile(),
      };
      logger.info({ cert: cert.name, replaces: request.replaces, profile: request.profile }, 'order started');
      const deps = {
        session: await account(),
        route: challengeRouter({
          dns: cert.dns,
          challengeAlias: cert.challengeAlias,
          lookup: dnsLookups.lookup,
          provider: async (entry) => observeDns(await providers.get(entry), config.dns[entry]?.type ?? entry, opts.observer),
          onLookupError: (name, err) => logger.warn({ cert: cert.name, name, err: err.message }, 'CNAME lookup failed; writing the record at its own name'),
        }),
        pending: pendingTxt(cert.name),
        propagation: dnsLookups.propagation,
        logger,
        signal,
        onStep: (step: OrderStep, detail?: string) => opts.onStep?.(cert.name, step, detail),
      };
      const { issueCertificate } = (await acmeStack!)[1];
      const issued = await issueCertificate(request, deps).catch((err: unknown) => {
        // The CA says the old certificate was already replaced (by an order we lost track of): order without it.
        if (err instanceof AcmeError && err.problem === 'alreadyReplaced' && request.replaces) {
          logger.warn({ cert: cert.name, err: err.message }, 'the CA says this certificate was already replaced; ordering without "replaces"');
          return issueCertificate({ ...request, replaces: undefined }, deps);
        }
        throw err;
      });
      if (opts.dryRun) {
        const { readCertificateInfo } = await import('../store/x509.js');
        results.set(cert.name, { name: cert.name, result: 'issued-dry-run', decision, notAfter: readCertificateInfo(issued.fullchainPem).notAfter, ms: Date.now() - t0, deployed: false });
        return;
      }
      const saved = await store.save(cert.name, issued.fullchainPem, issued.keyPem, {
        domains: cert.domains,
        keyType: cert.keyType,
        issuedAt: now().toISOString(),
        directory: config.acme.directory,
        orderUrl: issued.orderUrl,
      });
      results.set(cert.name, { name: cert.name, result: 'renewed', decision, notAfter: saved.info.notAfter, ms: Date.now() - t0, deployed: false });
      logger.info({ cert: cert.name, notAfter: saved.info.notAfter.toISOString(), ms: Date.now() - t0 }, 'certificate stored');
      await state.update(cert.name, () => ({ failures: 0 }));
      if (cert.targets.length) toDeploy.push({ cert, stored: saved });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      logger.error({ cert: cert.name, code: (err as CertkeeperError).code, err: oneLine(err), ms: Date.now() - t0 }, 'renewal failed');
      if (!(err instanceof AbortedError) && !(err instanceof ProfileError) && !opts.dryRun) {
        const failedAt = now();
        const s2 = await state.update(cert.name, (s) => {
          const failures = s.failures + 1;
          const retryAfter = err instanceof AcmeError ? err.retryAfter : undefined;
          return { ...s, failures, lastError: oneLine(err), lastFailure: failedAt.toISOString(), nextAttempt: nextAttemptAt(failures, failedAt, retryAfter, opts.random).toISOString() };
        });
        logger.info({ cert: cert.name, failures: s2.failures, nextAttempt: s2.nextAttempt }, 'will retry after backoff');
        wake(s2.nextAttempt);
      }
      opts.onStep?.(cert.name, 'failed');
      results.set(cert.name, { name: cert.name, result: 'failed', decision, error, ms: Date.now() - t0, stage: 'issue' });
      emit(opts.observer, { type: 'certificate-failed', at: now(), name: cert.name, domains: cert.domains, stage: 'issue', error: oneLine(err), code: (err as CertkeeperError).code, notAfter: stored.state === 'ok' ? stored.cert.info.notAfter : undefined });
    }
  });

  // Certificates that are not due but whose deployed files differ from the stored ones (a new
  // target, a restored server, an earlier failed deploy) are deployed again: state, not events.
  for (const d of decided.filter((x) => x.deferredUntil)) {
    results.set(d.cert.name, { name: d.cert.name, result: 'deferred', decision: d.decision, until: d.deferredUntil! });
  }
  // Stopping: what was stored is deployed by the next start (deployed files differ), not now.
  if (signal.aborted) {
    for (const d of decided) if (!results.has(d.cert.name)) results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
    return selected.map((c) => results.get(c.name)!);
  }
  if (!opts.dryRun) {
    for (const d of decided.filter((x) => !x.decision.due)) {
      if (!d.deferredUntil) results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
      if (d.stored.state === 'ok' && d.cert.targets.length && !(await deployedMatches(d.cert, d.stored.cert))) {
        logger.info({ cert: d.cert.name }, 'deployed files differ from the stored certificate; deploying again');
        toDeploy.push({ cert: d.cert, stored: d.stored.cert });
        results.set(d.cert.name, { name: d.cert.name, result: 'redeployed', decision: d.decision });
      }
    }
    const outcomes = await deployCertificates(toDeploy, config.deploy, logger, { dataDir: config.dataDir });
    emitDeploys(opts.observer, toDeploy, outcomes, config);
    for (const o of outcomes) {
      const r = results.get(o.name)!;
      if (o.ok) {
        if (r.result === 'renewed') r.deployed = true;
        logger.info({ cert: o.name, ms: Date.now() - (started.get(o.name) ?? Date.now()) }, 'deployed');
        opts.onStep?.(o.name, 'deployed');
      } else {
        logger.error({ cert: o.name, err: o.error?.message }, 'deploy failed');
        opts.onStep?.(o.name, 'failed');
        results.set(o.name, { name: o.name, result: 'failed', decision: r.decision, error: o.error!, ms: Date.now() - (started.get(o.name) ?? Date.now()), stage: 'deploy' });
        const item = toDeploy.find((i) => i.cert.name === o.name)!;
        const prev = decided.find((d) => d.cert.name === o.name)?.stored;
        emit(opts.observer, { type: 'certificate-failed', at: now(), name: o.name, domains: item.cert.domains, stage: 'deploy', error: oneLine(o.error), code: o.error?.code, notAfter: prev?.state === 'ok' ? prev.cert.info.notAfter : undefined });
      }
    }
  } else {
    for (const d of decided.filter((x) => !x.decision.due && !x.deferredUntil)) results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
  }
  return selected.map((c) => results.get(c.name)!);
}

/** One deploy event per server; every certificate deployed to it shares one test and one reload. */
function emitDeploys(observer: Observer | undefined, items: DeployItem[], outcomes: { name: string; ok: boolean }[], config: Config): void {
  const groups = new Map<string, Set<string>>();
  for (const i of items) for (const t of i.cert.targets) groups.set(t.deploy ?? 'files', (groups.get(t.deploy ?? 'files') ?? new Set()).add(i.cert.name));
  for (const [target, names] of groups) {
    const certificates = [...names];
    const ok = outcomes.filter((o) => names.has(o.name)).every((o) => o.ok);
    emit(observer, { type: 'deploy', target, certificates, result: ok ? 'ok' : 'failed', reload: Boolean(config.deploy[target]?.reload) });
  }
}
