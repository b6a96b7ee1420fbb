import { join } from 'node:path';
import type { Logger } from 'pino';
import { acmeIssuer, type ChallengeDeps } from '../acme/issuer.js';
import type { Config, ResolvedCertificate } from '../config/load.js';
import { stagingFor } from '../acme/known-cas.js';
import { configureHttp } from '../acme/http.js';
import { allCas } from '../config/ca-chain.js';
import { deployCertificates, deployedMatches, recoverDeploys } from '../deploy/deployer.js';
import { DnsProviders } from '../dns/instances.js';
import type { DnsLookups } from '../propagation/lookups.js';
import { pendingTxtForPass, type PendingHooks } from '../dns/pending.js';
import { observeDns, type Observer } from '../ops/events.js';
import { DeployedStamps } from '../deploy/deployed-stamps.js';
import { CertificateStore } from '../store/certs.js';
import { StateStore } from '../store/state.js';
import type { PassDeps } from './ports.js';

export interface WiringOptions {
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  now: () => Date;
  random?: () => number;
  observer?: Observer;
}

/** Staging directory for --dry-run: the CA's own test endpoint where one exists, else the configured CA (null: none, ZeroSSL). */
export function dryRunDirectory(directory: string): string | null {
  return stagingFor(directory);
}

/**
 * The real dependencies of a pass, from the configuration: the file store in dataDir, one ACME CA
 * and account, the DNS providers, and the deployer. Called with the dataDir lock held.
 */
export async function openPassDeps(config: Config, logger: Logger, opts: WiringOptions, signal: AbortSignal): Promise<PassDeps> {
  // Settle a deploy a crash left half done before comparing deployed files with the store: recovery
  // may put the old files back, and the comparison must see the files as they will stay.
  await recoverDeploys(config.dataDir, logger);
  const state = await StateStore.open(config.dataDir, logger);
  const stamps = new DeployedStamps(join(config.dataDir, 'deployed.json'));
  const providers = new DnsProviders(config, logger, opts.env);
  // One nameserver cache for the whole pass, built (with the DNS code) by the first order: a pass
  // with nothing due loads none of it.
  let dnsLookups: Promise<DnsLookups> | undefined;
  const lookups = () => (dnsLookups ??= import('../propagation/lookups.js').then((m) => m.dnsLookupsForPass(config)));
  // Challenge records a killed run left in DNS go first, before new orders write at the same names.
  const pendingTxt = await pendingTxtForPass(config.dataDir, config.dns, (e) => providers.get(e), logger, signal);
  // Every CA of every certificate is trusted and routed (proxy) before the first request to any of them.
  configureHttp(allCas(config.acme, config.certificates.map((c) => c.cas)), { defaultProxy: config.acme.proxy });
  return {
    store: { certs: new CertificateStore(config.dataDir), state },
    issuer: acmeIssuer({
      dataDir: config.dataDir,
      dryRun: opts.dryRun,
      logger,
      observer: opts.observer,
      now: opts.now,
      random: opts.random,
      challenges: async (cert) => challengeDeps(config, cert, { providers, dnsLookups: await lookups(), pending: pendingTxt(cert.name), logger, observer: opts.observer }),
    }),
    deployer: {
      matches: (cert, stored) => deployedMatches(cert, stored, stamps),
      flush: () => stamps.flush(),
      deploy: (items) => deployCertificates(items, config.deploy, logger, { dataDir: config.dataDir }),
      reloads: (server) => Boolean(config.deploy[server]?.reload),
    },
  };
}

/** The DNS side of one certificate's order: which provider writes each record, and the propagation check. */
async function challengeDeps(
  config: Config,
  cert: ResolvedCertificate,
  ctx: { providers: DnsProviders; dnsLookups: DnsLookups; pending: PendingHooks | undefined; logger: Logger; observer?: Observer },
): Promise<ChallengeDeps> {
  const { challengeRouter } = await import('../propagation/alias.js');
  return {
    route: challengeRouter({
      dns: cert.dns,
      challengeAlias: cert.challengeAlias,
      lookup: ctx.dnsLookups.lookup,
      provider: async (entry) => observeDns(await ctx.providers.get(entry), config.dns[entry]?.type ?? entry, ctx.observer),
      onLookupError: (name, err) => ctx.logger.warn({ cert: cert.name, name, err: err.message }, 'CNAME lookup failed; writing the record at its own name'),
    }),
    pending: ctx.pending,
    propagation: ctx.dnsLookups.propagation,
  };
}
