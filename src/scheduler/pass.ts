import type { Logger } from 'pino';
import { openAccount } from '../acme/account.js';
import { issueCertificate, type OrderStep } from '../acme/order.js';
import type { AcmeSession } from '../acme/session.js';
import type { Config } from '../config/load.js';
import { DIRECTORIES } from '../config/schema.js';
import { deployCertificates, deployedMatches, type DeployItem } from '../deploy/deployer.js';
import { DnsProviders } from '../dns/instances.js';
import { CertkeeperError, UsageError, oneLine } from '../errors.js';
import { CertificateStore } from '../store/certs.js';
import { renewalDue, type DueDecision } from './due.js';
import { mapLimit } from './limit.js';

export interface PassOptions {
  force?: boolean;
  only?: string[];
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  onStep?: (name: string, step: OrderStep | 'deployed' | 'failed' | 'skipped') => void;
}

export type CertificateResult =
  | { name: string; result: 'not-due'; decision: DueDecision }
  | { name: string; result: 'renewed' | 'issued-dry-run'; decision: DueDecision; notAfter: Date; ms: number; deployed: boolean }
  | { name: string; result: 'failed'; decision: DueDecision; error: CertkeeperError | Error; ms: number; stage: 'issue' | 'deploy' }
  | { name: string; result: 'redeployed'; decision: DueDecision };

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
  const store = new CertificateStore(config.dataDir);
  const providers = new DnsProviders(config, logger, opts.env);

  const decided = await Promise.all(
    selected.map(async (cert) => {
      const stored = await store.read(cert.name);
      const decision = opts.force ? { due: true, reason: 'forced' } : renewalDue(cert, stored, config.renew, now());
      logger.info({ cert: cert.name, due: decision.due, reason: decision.reason }, decision.due ? 'renewal due' : 'not due');
      return { cert, stored, decision };
    }),
  );

  const due = decided.filter((d) => d.decision.due);
  let session: Promise<AcmeSession> | undefined;
  const account = () =>
    (session ??= openAccount(config.acme, config.dataDir, logger, opts.dryRun ? dryRunDirectory(config.acme.directory) : config.acme.directory));

  const results = new Map<string, CertificateResult>();
  const toDeploy: DeployItem[] = [];
  const started = new Map<string, number>();

  await mapLimit(due, opts.concurrency ?? 4, async ({ cert, stored, decision }) => {
    const t0 = Date.now();
    started.set(cert.name, t0);
    try {
      const issued = await issueCertificate(
        {
          name: cert.name,
          domains: cert.domains,
          keyType: cert.keyType,
          keyPem: cert.reuseKey && stored.state === 'ok' ? stored.cert.keyPem : undefined,
        },
        {
          session: await account(),
          dns: await providers.get(cert.dns),
          propagation: { resolvers: config.propagation.resolvers, timeoutMs: config.propagation.timeout, maxIntervalMs: config.propagation.interval },
          logger,
          signal,
          onStep: (step) => opts.onStep?.(cert.name, step),
        },
      );
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
      if (cert.targets.length) toDeploy.push({ cert, stored: saved });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      logger.error({ cert: cert.name, code: (err as CertkeeperError).code, err: oneLine(err) }, 'renewal failed');
      opts.onStep?.(cert.name, 'failed');
      results.set(cert.name, { name: cert.name, result: 'failed', decision, error, ms: Date.now() - t0, stage: 'issue' });
    }
  });

  // Certificates that are not due but whose deployed files differ from the stored ones (a new
  // target, a restored server, an earlier failed deploy) are deployed again: state, not events.
  if (!opts.dryRun) {
    for (const d of decided.filter((x) => !x.decision.due)) {
      results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
      if (d.stored.state === 'ok' && d.cert.targets.length && !(await deployedMatches(d.cert, d.stored.cert))) {
        logger.info({ cert: d.cert.name }, 'deployed files differ from the stored certificate; deploying again');
        toDeploy.push({ cert: d.cert, stored: d.stored.cert });
        results.set(d.cert.name, { name: d.cert.name, result: 'redeployed', decision: d.decision });
      }
    }
    for (const o of await deployCertificates(toDeploy, config.deploy, logger, { dataDir: config.dataDir })) {
      const r = results.get(o.name)!;
      if (o.ok) {
        if (r.result === 'renewed') r.deployed = true;
        opts.onStep?.(o.name, 'deployed');
      } else {
        logger.error({ cert: o.name, err: o.error?.message }, 'deploy failed');
        opts.onStep?.(o.name, 'failed');
        results.set(o.name, { name: o.name, result: 'failed', decision: r.decision, error: o.error!, ms: Date.now() - (started.get(o.name) ?? Date.now()), stage: 'deploy' });
      }
    }
  } else {
    for (const d of decided.filter((x) => !x.decision.due)) results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
  }
  return selected.map((c) => results.get(c.name)!);
}
