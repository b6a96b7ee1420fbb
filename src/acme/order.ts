import type { Logger } from 'pino';
import type { KeyType } from '../config/schema.js';
import { AcmeError, CertkeeperError } from '../errors.js';
import type { DnsProvider, TxtRecord } from '../dns/provider.js';
import { findNameserversAhead, waitForPropagation, withDeadline, type PropagationOptions } from '../propagation/wait.js';
import type { AcmeSession } from './session.js';
import { pollStatus } from './poll.js';
import { createCsr } from './csr.js';
import { generateKey, type PrivateKey } from './keys.js';
import { privateKeyOf, rememberKey } from '../store/x509.js';

export type OrderStep = 'ordering' | 'presented' | 'propagated' | 'validated' | 'issued';

export interface OrderRequest {
  name: string;
  domains: string[];
  keyType: KeyType;
  /** Reuse this key instead of generating a fresh one. */
  keyPem?: string;
  /** ARI certID of the certificate this one replaces (RFC 9773 §5). */
  replaces?: string;
  /** ACME profile name, already checked against the directory's meta.profiles. */
  profile?: string;
  /** Issuer common name whose alternate chain to take when the CA offers several. */
  preferredChain?: string;
}

export interface OrderDeps {
  session: AcmeSession;
  /** Writes every record, unless `route` is given. */
  dns?: DnsProvider;
  /** Alias mode (src/propagation/alias.ts): where each record is written and by which provider. */
  route?: (record: TxtRecord) => Promise<RoutedTxt>;
  /** Durable note of the records (src/dns/pending.ts): added before present, removed after a clean cleanup. */
  pending?: { add(records: RoutedTxt[]): Promise<void>; remove(records: RoutedTxt[]): Promise<void> };
  propagation: Omit<PropagationOptions, 'signal' | 'logger' | 'firstIntervalMs'>;
  logger: Logger;
  signal: AbortSignal;
  /** Each step as it is reached; `presented` is repeated with a detail while the records propagate. */
  onStep?: (step: OrderStep, detail?: string) => void;
}

export interface RoutedTxt {
  record: TxtRecord;
  dns: DnsProvider;
  entry?: string;
}

export interface IssuedCertificate {
  fullchainPem: string;
  keyPem: string;
  orderUrl: string;
}

/**
 * One ACME order for all of a certificate's names (RFC 8555 §7.4), DNS-01 only. All TXT records are
 * presented together, the authoritative servers are polled until every one serves every value, and
 * only then are the challenges answered. The records are removed whatever happens.
 */
export async function issueCertificate(req: OrderRequest, deps: OrderDeps): Promise<IssuedCertificate> {
  const { session, logger, signal } = deps;
  const log = logger.child({ cert: req.name });
  const keyPromise: Promise<PrivateKey> = req.keyPem
    ? Promise.resolve({ pem: req.keyPem, key: privateKeyOf(req.keyPem) })
    : generateKey(req.keyType).then((k) => (rememberKey(k.pem, k.key, k.publicKey), k));

  deps.onStep?.('ordering');
  const created = await createOrder(session, req, signal, log);
  const orderUrl = created.headers.location;
  if (!orderUrl) throw new AcmeError(`${req.name}: the CA sent no order URL`);
  let order = created.data as { status: string; authorizations: string[]; finalize: string; certificate?: string };
  // A proxy or broken CA can answer 201 with an HTML page; say so instead of failing on a missing field.
  if (!order || typeof order !== 'object' || !Array.isArray(order.authorizations) || typeof order.finalize !== 'string') {
    throw new AcmeError(`${req.name}: creating the order: the CA sent an answer that is not an ACME order (${describeBody(order)})`);
  }
  log.info({ order: orderUrl, domains: req.domains }, 'order created');

  const authzs = await Promise.all(
    order.authorizations.map(async (url) => ({ url, ...(await session.post(url, null, [200], `${req.name}: fetching an authorization`, signal)).data })),
  );

  const pending: { authzUrl: string; challengeUrl: string; record: TxtRecord; identifier: string }[] = [];
  for (const a of authzs) {
    const identifier = `${a.wildcard ? '*.' : ''}${a.identifier.value}`;
    if (a.status === 'valid') continue;
    if (a.status !== 'pending') throw new AcmeError(`${req.name}: authorization for ${identifier} is ${a.status}`);
    const ch = (a.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === 'dns-01');
    if (!ch) throw new AcmeError(`${req.name}: the CA offers no dns-01 challenge for ${identifier}`, { noRetry: true });
    const value = await session.client.getChallengeKeyAuthorization(ch as never);
    pending.push({ authzUrl: a.url, challengeUrl: ch.url, identifier, record: { fqdn: `_acme-challenge.${a.identifier.value}`, value } });
  }

  const presented: RoutedTxt[] = [];
  try {
    if (pending.length) {
      // Alias mode may move a record to a CNAME target in another zone, written by another provider.
      const route = deps.route ?? (async (record: TxtRecord) => ({ record, dns: deps.dns!, entry: undefined }));
      const routed = await Promise.all(pending.map((p) => route(p.record)));
      routed.forEach((r, i) => {
        if (r.record.fqdn !== pending[i]!.record.fqdn) log.info({ name: pending[i]!.record.fqdn, target: r.record.fqdn, dns: r.entry }, 'challenge delegated by CNAME alias');
      });
      findNameserversAhead(routed.map((r) => r.record.fqdn), deps.propagation, signal);
      // Noted on disk first: a kill before cleanup must not leave them in DNS for good.
      await deps.pending?.add(routed);
      const results = await Promise.allSettled(
        routed.map(async (r) => {
          // Counted before the call: a present that times out or fails half-way may still have
          // created the record, and removing a record that is not there is harmless.
          presented.push(r);
          await r.dns.present(r.record, signal);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      log.info({ records: routed.map((r) => r.record.fqdn) }, 'challenge TXT records presented');
      deps.onStep?.('presented');

      await waitForPropagation(
        routed.map((r) => withDeadline(r.record, r.dns, r.entry)),
        {
          ...deps.propagation,
          firstIntervalMs: Math.min(...routed.map((r) => r.dns.hints.pollIntervalMs)),
          signal,
          logger: log.child({ providers: [...new Set(routed.map((r) => r.dns.name))] }),
          onProgress: (served, total) => deps.onStep?.('presented', `${served}/${total}`),
        },
      );
      deps.onStep?.('propagated');

      await Promise.all(
        pending.map(async (p) => {
          const answered = await session.post(p.challengeUrl, {}, [200], `${req.name}: answering the challenge for ${p.identifier}`, signal);
          const final = await pollStatus(session, p.authzUrl, ['pending'], `${req.name}: validation of ${p.identifier}`, signal, { retryAfter: answered.headers['retry-after'] });
          if (final.status !== 'valid') {
            const ch = (final.challenges as { type: string; error?: { detail?: string } }[] | undefined)?.find((c) => c.type === 'dns-01');
            throw new AcmeError(`${req.name}: the CA could not validate ${p.identifier}: ${ch?.error?.detail ?? final.status}`);
          }
        }),
      );
      log.info({ names: pending.map((p) => p.identifier) }, 'challenges validated');
    }
    deps.onStep?.('validated');
  } finally {
    await cleanupRecords(presented, log, deps.pending);
  }

  const { pem: keyPem, key } = await keyPromise;
  const csr = createCsr(req.domains, key);
  const finalized = await session.post(order.finalize, { csr: csr.toString('base64url') }, [200], `${req.name}: finalizing the order`, signal);
  order = finalized.data;
  if (order.status !== 'valid') {
    order = await pollStatus(session, orderUrl, ['processing', 'ready', 'pending'], `${req.name}: finalizing the order`, signal, { status: order.status, retryAfter: finalized.headers['retry-after'] });
  }
  if (order.status !== 'valid' || !order.certificate) throw new AcmeError(`${req.name}: the order ended as ${order.status}`);
  const certResp = await session.post(order.certificate, null, [200], `${req.name}: downloading the certificate`, signal);
  let fullchainPem = pemText(certResp.data);
  if (req.preferredChain) fullchainPem = await preferredChain(session, req, fullchainPem, certResp.headers.link, signal, log);
  deps.onStep?.('issued');
  log.info({ order: orderUrl }, 'certificate issued');
  return { fullchainPem, keyPem, orderUrl };
}

function pemText(data: unknown): string {
  return typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString();
}

/**
 * The chain that ends in the configured issuer name, among the default and the alternates the CA
 * links to (RFC 8555 §7.4.2); the default chain, with a warning, when none does.
 */
async function preferredChain(session: AcmeSession, req: OrderRequest, defaultPem: string, link: string | undefined, signal: AbortSignal, log: Logger): Promise<string> {
  const { alternateLinks, pickChain } = await import('./chains.js');
  const chains = [defaultPem];
  for (const url of alternateLinks(link)) {
    chains.push(pemText((await session.post(url, null, [200], `${req.name}: downloading an alternate chain`, signal)).data));
  }
  const i = pickChain(chains, req.preferredChain!);
  if (i === undefined) {
    log.warn({ preferredChain: req.preferredChain, offered: chains.length }, 'no chain offered by the CA ends in the preferred issuer; keeping the default chain');
    return defaultPem;
  }
  if (i > 0) log.info({ preferredChain: req.preferredChain }, 'taking the alternate chain of the preferred issuer');
  return chains[i]!;
}

/** Problems a CA sends for reasons of its own, never because of `replaces`. */
const NOT_ABOUT_REPLACES = new Set(['rateLimited', 'serverInternal', 'badNonce']);

/**
 * newOrder (RFC 8555 §7.4). A CA may refuse `replaces` (RFC 9773 §5) for reasons the client cannot
 * see: Let's Encrypt answers `malformed` when it knows no current certificate by that certID or the
 * order shares no name with it, `unauthorized` when another account requested it, `alreadyReplaced`
 * when an order already replaced it. `replaces` is a hint that must never cost a renewal, so any
 * refusal of an order that carried it is retried once without it; the second answer is the real one.
 */
async function createOrder(session: AcmeSession, req: OrderRequest, signal: AbortSignal, log: Logger) {
  const newOrder = await session.resourceUrl('newOrder');
  const send = (replaces: string | undefined) =>
    session.post(
      newOrder,
      {
        identifiers: req.domains.map((value) => ({ type: 'dns', value })),
        ...(replaces ? { replaces } : {}),
        ...(req.profile ? { profile: req.profile } : {}),
      },
      [201],
      `${req.name}: creating the order`,
      signal,
    );
  try {
    return await send(req.replaces);
  } catch (err) {
    if (!req.replaces || !(err instanceof AcmeError) || !err.problem || NOT_ABOUT_REPLACES.has(err.problem)) throw err;
    log.warn({ replaces: req.replaces, problem: err.problem, err: err.message }, 'the CA refused the order with "replaces"; ordering again without it');
    return send(undefined);
  }
}

/**
 * Removes presented records; runs even when the order was aborted, so it gets its own time limit
 * rather than the (possibly already aborted) order signal. Failures are logged with the record name.
 */
async function cleanupRecords(records: RoutedTxt[], log: Logger, pending?: OrderDeps['pending']): Promise<void> {
  const signal = AbortSignal.timeout(60_000);
  const t0 = Date.now();
  const removed: RoutedTxt[] = [];
  await Promise.all(
    records.map((routed) =>
      routed.dns.cleanup(routed.record, signal).then(
        () => {
          removed.push(routed);
          log.debug({ record: routed.record.fqdn }, 'TXT record removed');
        },
        (err: unknown) =>
          log.error(
            { record: routed.record.fqdn, err: err instanceof CertkeeperError ? err.message : String(err) },
            `could not remove TXT record ${routed.record.fqdn}; ${pending ? 'the next pass retries' : 'remove it by hand'}`,
          ),
      ),
    ),
  );
  if (removed.length) await pending?.remove(removed).catch((err: unknown) => log.warn({ err: String(err) }, 'could not update the pending TXT journal; the next pass removes the records again'));
  if (records.length) log.info({ records: records.map((r) => r.record.fqdn), ms: Date.now() - t0 }, 'TXT records cleaned up');
}

/** A short, safe description of an unexpected response body for an error message. */
function describeBody(body: unknown): string {
  if (typeof body === 'string') return `text starting ${JSON.stringify(body.slice(0, 40))}`;
  if (body === null || body === undefined) return 'empty body';
  return `JSON without ${Array.isArray((body as { authorizations?: unknown }).authorizations) ? 'finalize' : 'authorizations'}`;
}
