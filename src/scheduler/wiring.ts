import type { Logger } from 'pino';
import { acmeIssuer, type ChallengeDeps } from '../acme/issuer.js';
import type { Config, ResolvedCertificate } from '../config/load.js';
import { stagingFor } from '../acme/known-cas.js';
import { rememberHttp } from '../acme/http-settings.js';
import { allCas } from '../config/ca-chain.js';
import { DnsProviders } from '../dns/instances.js';
import type { DnsLookups } from '../propagation/lookups.js';
import { pendingTxtForPass, type PendingHooks } from '../dns/pending.js';
import { DeployGate } from '../deploy/gate.js';
import { observeDns, type Observer } from '../ops/events.js';
import type { Store } from '../store/store.js';
import { openDeployer } from '../targets/deployer.js';
import { deployCertificates, deployedMatches, recoverDeploys } from '../deploy/deployer.js';
import type { Deployer, PassDeps } from './ports.js';

export interface WiringOptions {
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  now: () => Date;
  random?: () => number;
  observer?: Observer;
  /** With a shared store: serialises this host's deploys (the daemon passes its own, shared with its deploys of other hosts' versions). */
  deployGate?: DeployGate;
}

/** Staging directory for --dry-run: the CA's own test endpoint where one exists, else the configured CA (null: none, ZeroSSL). */
export function dryRunDirectory(directory: string): string | null {
  return stagingFor(directory);
}

/**
 * The real dependencies of a pass, from the configuration: the store (files in dataDir, or a
 * database several hosts share), one ACME CA and account, the DNS providers, and the deployer.
 * Called with the dataDir lock held, or, with a shared store, certificates held one at a time.
 */
export async function openPassDeps(config: Config, logger: Logger, opts: WiringOptions, signal: AbortSignal, store: Store): Promise<PassDeps> {
  const shared = store.shared;
  const gate = shared ? (opts.deployGate ?? new DeployGate(config.dataDir, logger)) : undefined;
  // Settle a deploy a crash left half done before comparing deployed files with the store: recovery
  // may put the old files back, and the comparison must see the files as they will stay.
  await (gate ? gate.run(() => recoverDeploys(config.dataDir, logger)) : recoverDeploys(config.dataDir, logger));
  const state = await store.openState({ logger });
  const providers = new DnsProviders(config, logger, opts.env);
  // One nameserver cache for the whole pass, built (with the DNS code) by the first order: a pass
  // with nothing due loads none of it.
  let dnsLookups: Promise<DnsLookups> | undefined;
  const lookups = () => (dnsLookups ??= import('../propagation/lookups.js').then((m) => m.dnsLookupsForPass(config)));
  // Challenge records a killed run left in DNS go first, before new orders write at the same names;
  // in a shared store only those of certificates no host is ordering now.
  const pendingTxt = await pendingTxtForPass(() => store.openPendingTxt(logger), config.dns, (e) => providers.get(e), logger, {
    signal,
    node: shared?.node,
    claim: shared && (async (cert) => {
      const answer = await shared.claim(cert);
      return 'claim' in answer ? () => answer.claim.release() : undefined;
    }),
  });
  // Every CA of every certificate is trusted and routed (proxy) before the first request to any of them.
  rememberHttp(allCas(config.acme, config.certificates.map((c) => c.cas)), { defaultProxy: config.acme.proxy });
  return {
    store: {
      certs: store.certs,
      state,
      ...(shared ? { claim: (name: string) => shared.claim(name), recordDeploys: shared.recordDeploys.bind(shared) } : {}),
    },
    issuer: acmeIssuer({
      accounts: store.accounts,
      dataDir: config.dataDir,
      dryRun: opts.dryRun,
      logger,
      observer: opts.observer,
      now: opts.now,
      random: opts.random,
      challenges: async (cert) => challengeDeps(config, cert, { providers, dnsLookups: await lookups(), pending: pendingTxt(cert.name), logger, observer: opts.observer }),
      signal,
    }),
    // Files (per server, tested and reloaded once) and cloud targets side by side (src/targets/deployer.ts),
    // through the gate when there is one (a shared store).
    deployer: gated(await openDeployer(config, logger, { env: opts.env, now: opts.now, signal }), gate),
  };
}

/** The deployer with its deploys run through the gate, when there is one (a shared store). */
function gated<D extends Deployer>(deployer: D, gate?: DeployGate): D {
  if (!gate) return deployer;
  return { ...deployer, deploy: ((items) => gate.run(() => deployer.deploy(items))) as D['deploy'] };
}

/** The file deployer for what another host ordered (a follower does not push cloud targets: the host that ordered did). */
export function deployerFor(config: Config, logger: Logger, gate?: DeployGate): Deployer {
  const files: Deployer = {
    matches: deployedMatches,
    deploy: (items) => deployCertificates(items, config.deploy, logger, { dataDir: config.dataDir }),
    reloads: (server) => Boolean(config.deploy[server]?.reload),
  };
  return gated(files, gate);
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
