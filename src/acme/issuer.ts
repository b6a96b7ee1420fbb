import type { Logger } from 'pino';
import type { CaSettings } from '../config/ca-chain.js';
import { sameUrl } from '../config/ca-chain.js';
import type { ResolvedCertificate } from '../config/load.js';
import { AcmeError, oneLine } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import type { IssuedSet, Issuer, IssuerIdentity, IssueRequest } from '../scheduler/ports.js';
import type { AccountRepo } from '../store/store.js';
import { dryRunChain, orderInTurn, type Failed } from './fallback.js';
import { caName } from './known-cas.js';
import type { OrderDeps, OrderStep } from './order.js';
import type { DirectoryLoader } from './directory.js';
import { checkedProfile, directoryLoader, renewalInfoFor } from './renewal-info.js';
import { refusedKey } from './key-refusal.js';
import type { AcmeSession } from './session.js';

/** The DNS side of one certificate's order: where its records go and how their propagation is checked. */
export type ChallengeDeps = Pick<OrderDeps, 'route' | 'pending' | 'propagation'>;

export interface AcmeIssuerOptions {
  /** The store's ACME accounts (files in dataDir, or a database several hosts share). */
  accounts: AccountRepo;
  /** Where each CA's directory document is kept for a day (dataDir/cache, local to the host whichever the store); without it, fetched once per pass. */
  dataDir?: string;
  /** Orders go to each CA's staging directory (--dry-run); renewal information comes from production. */
  dryRun?: boolean;
  logger: Logger;
  now: () => Date;
  random?: () => number;
  observer?: Observer;
  challenges: (cert: ResolvedCertificate) => Promise<ChallengeDeps>;
  /** The pass's stop: cuts the CA requests under way (each order's own signal only stops its steps). */
  signal?: AbortSignal;
}

/** One CA directory during one pass: its directory document, account and profile checks, each fetched once. */
class CaEndpoint {
  readonly directory: DirectoryLoader;
  /** Set once an order found the CA unreachable (its requests failed through their retries): the pass's later orders are not sent there. */
  unreachable?: AcmeError;
  private session?: Promise<AcmeSession>;
  private readonly profiles = new Map<string, Promise<string | undefined>>();

  constructor(
    readonly ca: CaSettings,
    private readonly opts: AcmeIssuerOptions,
  ) {
    // Kept in dataDir for a day: a pass that needs no renewal information makes no request.
    this.directory = directoryLoader(ca.directory, ca, opts.dataDir === undefined ? undefined : { dataDir: opts.dataDir, now: opts.now }, opts.signal);
  }

  profile(name: string | undefined): Promise<string | undefined> {
    const key = name ?? '';
    if (!this.profiles.has(key)) this.profiles.set(key, checkedProfile(name, this.directory, this.ca.directory));
    return this.profiles.get(key)!;
  }

  open(): Promise<AcmeSession> {
    return (this.session ??= this.openAccount());
  }

  /**
   * After `err` from an order in `session`: whether the account key was replaced meanwhile (a
   * rollover on another host sharing the store). If so the next open() signs with the new key.
   */
  async keyReplaced(session: AcmeSession, err: unknown): Promise<boolean> {
    if (!refusedKey(err)) return false;
    const current = await this.opts.accounts.readKey(this.ca.directory).catch(() => undefined);
    if (current === undefined || current === session.keyPem) return false;
    if (this.session && (await this.session.catch(() => undefined)) === session) this.session = undefined;
    return true;
  }

  private async openAccount(): Promise<AcmeSession> {
    // The directory, and with it the TLS connection to the CA, while the ACME code loads and the
    // account key is read or made: fetched once per pass (shared with renewal information). Its
    // failure, if any, is the first request's.
    const directory = this.directory('order');
    directory.catch(() => undefined);
    const { openAccount } = await import('./account.js');
    return openAccount(this.ca, this.opts.accounts, this.opts.logger, undefined, () => directory);
  }
}

/**
 * The pass's Issuer over each certificate's list of CAs (config/ca-chain.ts). An order that fails
 * for a CA-side reason (acme/fallback.ts) goes to the next CA in the same pass; any other failure
 * ends there, as every CA would repeat it. The switch is logged and reported once (a `ca-fallback`
 * event, which alerts). The ACME stack loads on the first order only; each CA's directory, account
 * and profile are fetched once per pass.
 */
export function acmeIssuer(opts: AcmeIssuerOptions): Issuer {
  const { logger } = opts;
  // acme-client's requests (account, order, challenge...) carry no signal: a stop cuts them all at
  // once, so a CA that stopped answering does not hold a stopping pass for a request's timeout.
  opts.signal?.addEventListener('abort', () => void import('./http.js').then((m) => m.abortCaRequests()), { once: true });
  const endpoints = new Map<string, CaEndpoint>();
  const endpoint = (ca: CaSettings) => {
    const key = ca.directory.replace(/\/+$/, '');
    if (!endpoints.has(key)) endpoints.set(key, new CaEndpoint(ca, opts));
    return endpoints.get(key)!;
  };
  // Account records are read once per CA per pass.
  const known = new Map<string, Promise<string | null | undefined>>();
  const identityOf = async (directory: string): Promise<IssuerIdentity> => {
    if (!known.has(directory)) known.set(directory, opts.accounts.registered(directory));
    return { directory, account: await known.get(directory) };
  };
  let order: Promise<typeof import('./order.js')> | undefined;
  // Which CA settings each directory has, for renewal information about a stored certificate.
  const settingsOf = new Map<string, CaSettings>();

  async function orderAt(ca: CaSettings, req: IssueRequest, signal: AbortSignal, onStep?: (step: OrderStep) => void, again = true): Promise<IssuedSet> {
    order ??= import('./order.js');
    const e = endpoint(ca);
    // Every other order would wait out the same timeouts and retries (a silent CA kept a pass of 50
    // certificates going for 25 minutes): they fail at once, as CA-side failures (a fallback CA is
    // tried), and the next pass asks again.
    if (e.unreachable) throw e.unreachable;
    const profile = await e.profile(ca.profile);
    // The DNS side (providers, alias routes, nameserver lookups) gets ready while the account opens.
    const [s, challenges] = await Promise.all([e.open(), opts.challenges(req.cert)]);
    // `replaces` means something only to the CA and account that issued the certificate it names.
    const hint = req.replaces;
    const replaces = hint && sameUrl(hint.directory, ca.directory) && hint.account === s.accountUrl ? hint.certId : undefined;
    const request = { name: req.cert.name, domains: req.cert.domains, keyType: req.cert.keyType, keyPem: req.keyPem, replaces, profile, preferredChain: ca.preferredChain };
    logger.info({ cert: req.cert.name, ca: caName(ca.directory), replaces, profile }, 'order started');
    const deps: OrderDeps = { session: s, ...challenges, logger, signal, onStep };
    let issued;
    try {
      issued = await (await order).issueCertificate(request, deps);
    } catch (err) {
      if (err instanceof AcmeError && err.unreachable && !signal.aborted) {
        e.unreachable ??= new AcmeError(`the CA did not answer an earlier order in this pass (${oneLine(err)}); not asked again until the next pass`, { unreachable: true });
      }
      // Its key authorization and signatures were the old key's: the order starts again, once.
      if (!again || !(await e.keyReplaced(s, err))) throw err;
      logger.warn({ cert: req.cert.name, ca: caName(ca.directory), err: oneLine(err) }, 'the account key was replaced by another host during this order; ordering again with the new key');
      return orderAt(ca, req, signal, onStep, false);
    }
    return { ...issued, directory: ca.directory, account: s.accountUrl };
  }

  return {
    identity: async (cert) => {
      for (const ca of cert.cas) settingsOf.set(ca.directory, ca);
      const [primary, ...rest] = await Promise.all(cert.cas.map((ca) => identityOf(ca.directory)));
      return { ...primary!, also: rest };
    },

    renewalInfo: (name, stored, knownAri, { refresh }) => {
      const ca = settingsOf.get(stored.meta.directory) ?? { directory: stored.meta.directory };
      return renewalInfoFor(name, stored, knownAri, endpoint(ca).directory, { now: opts.now, logger, random: opts.random, refresh });
    },

    async issue(req, { signal, onStep }) {
      const { chain, skipped } = opts.dryRun ? dryRunChain(req.cert.cas) : { chain: req.cert.cas, skipped: [] };
      if (skipped.length) logger.warn({ cert: req.cert.name, skipped: skipped.map(caName) }, 'dry run: leaving out CAs without a staging directory (an order there would be real)');
      if (!chain.length) {
        throw new AcmeError(
          `${req.cert.name}: --dry-run: ${skipped.map(caName).join(', ')} has no staging directory, so a dry run would issue a real certificate; add a fallback CA with staging (letsencrypt, google) or renew without --dry-run`,
          { noRetry: true },
        );
      }
      return orderInTurn(req.cert.name, chain, (ca) => orderAt(ca, req, signal, onStep), {
        signal,
        onNext: (f, next) => logger.warn({ cert: req.cert.name, ca: caName(f.ca.directory), next: caName(next.directory), err: oneLine(f.error) }, 'CA-side failure; trying the next CA'),
        onFallback: (failed, by) => reportFallback(opts, req.cert, failed, by),
      });
    },
  };
}

/** The switch to a fallback CA: one log line and one event (alerted) for this order. */
function reportFallback(opts: AcmeIssuerOptions, cert: ResolvedCertificate, failed: Failed[], to: CaSettings): void {
  const error = failed.map((f) => `${caName(f.ca.directory)}: ${oneLine(f.error)}`).join('; ');
  opts.logger.warn({ cert: cert.name, from: failed.map((f) => caName(f.ca.directory)), to: caName(to.directory), err: error }, 'issued by a fallback CA');
  emit(opts.observer, { type: 'ca-fallback', at: opts.now(), name: cert.name, domains: cert.domains, from: failed[0]!.ca.directory, to: to.directory, error });
}
