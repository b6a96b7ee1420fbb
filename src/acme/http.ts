import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ConnectionPool } from './connection-pool.js';
import { dialer } from './dial.js';
import { environmentProxy, type ProxyFor } from './env-proxy.js';
import { receiveHttpSettings } from './http-settings.js';

/** What one CA needs from the process-wide HTTP layer. */
export interface HttpSettings {
  directory?: string;
  caBundle?: string;
  proxy?: string;
}

// One connection pool per process, so these settings are process-wide too. They only grow: every CA the
// configuration names is reachable at once (a primary and its fallbacks in one pass).
const bundles = new Set<string>();
const routes = new Map<string, string | undefined>();
let defaultProxy: string | undefined;

/**
 * The HTTP settings of every request to a CA (transport.ts: acme-client's and the plain GETs). We
 * keep connections alive (one TLS handshake per pass, not per request), trust the configured CA
 * bundles on top of the public roots, and send each CA's requests through its proxy (an HTTP
 * CONNECT tunnel; other hosts, such as ZeroSSL's EAB API, use `defaultProxy`); without any, the
 * environment's (HTTPS_PROXY, NO_PROXY: env-proxy.ts), as through acme-client's axios. Nothing is
 * retried there: session.ts retries, bounded. Only ACME traffic uses these connections; the DNS
 * providers' SDKs never see the proxy.
 */
export function configureHttp(cas: HttpSettings[], opts: { defaultProxy?: string } = {}): void {
  for (const ca of cas) {
    if (ca.caBundle) bundles.add(ca.caBundle);
    if (ca.directory) routes.set(originOf(ca.directory), ca.proxy);
  }
  if (opts.defaultProxy !== undefined) defaultProxy = opts.defaultProxy;
  settings = JSON.stringify([[...bundles].sort(), [...routes].sort(), defaultProxy ?? null]);
}
/** The settings as configureHttp left them: each request compares this string only. */
let settings = '';

/** The connections every request to a CA goes through (made again only when the settings change). */
let pool: { key: string; value: ConnectionPool; proxyFor: ProxyFor | undefined } | undefined;

function current(): NonNullable<typeof pool> {
  const { https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY, no_proxy, NO_PROXY } = process.env;
  const key = `${settings} ${https_proxy} ${HTTPS_PROXY} ${http_proxy} ${HTTP_PROXY} ${no_proxy} ${NO_PROXY}`;
  if (pool?.key === key) return pool;
  pool?.value.close();
  const configured = defaultProxy !== undefined || [...routes.values()].some((p) => p !== undefined);
  // One TLS context for every connection: given a `ca` list, Node builds a new context per connection
  // (parsing ~150 roots, tens of ms of CPU each).
  const ctx = bundles.size ? trustContext([...bundles]) : undefined;
  // A proxy in the configuration replaces the environment's for all ACME traffic (docs/ca.md).
  const configuredFor: ProxyFor = (host, port) => (routes.has(`${host}:${port}`) ? routes.get(`${host}:${port}`) : defaultProxy);
  const proxyFor = configured ? configuredFor : environmentProxy();
  pool = { key, value: new ConnectionPool(dialer(ctx, proxyFor)), proxyFor };
  return pool;
}

/** The kept connections to the CAs, for the settings collected so far: every request to a CA (transport.ts) goes through them. */
/** Cuts the requests to every CA under way (the pass is stopping); nothing when none was made. */
export function abortCaRequests(): void {
  pool?.value.abortAll();
}

export function caConnections(): ConnectionPool {
  return current().value;
}

/** The proxy a request to `url` goes through under the settings collected so far, or undefined for none. */
export function caProxyFor(url: string): string | undefined {
  const u = new URL(url);
  const [host, port] = originOf(url).split(/:(?=\d+$)/) as [string, string];
  return current().proxyFor?.(host, Number(port), u.protocol === 'https:');
}

/** "host:port" of a URL, as an agent sees the request's target. */
export function originOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'http:' ? 80 : 443)}`;
}

/**
 * The public roots plus the configured bundles: a private CA's bundle must not stop a public
 * fallback CA from being trusted. Node's default context with the bundles added: that gives the
 * context its own store (the public roots, kept parsed once per process, but without
 * NODE_EXTRA_CA_CERTS, so that file is added too, less the bundled roots it repeats), and other
 * contexts never trust the bundles.
 * Building the same union from a `ca` list of PEM strings costs about 0.1 s of CPU.
 */
export function trustContext(files: string[]): SecureContext {
  const ctx = createSecureContext();
  const store = (ctx as SecureContext & { context: { addCACert(pem: string): void } }).context;
  for (const f of files) store.addCACert(readFileSync(f, 'utf8'));
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    const pem = readFileSync(extra, 'utf8');
    const rest = usesBundledRoots() ? notBundled(pem) : pem;
    if (rest) store.addCACert(rest);
  }
  return ctx;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const base64Of = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');

/**
 * The certificates of a PEM file that are not byte for byte one of Node's bundled roots, which the
 * context's store holds already. NODE_EXTRA_CA_CERTS is often the system bundle (~140 certificates,
 * most of them the same Mozilla roots): parsing it again cost ~35 ms of CPU per process. Text outside
 * certificate blocks, or a block that does not match, is passed on as it is, so nothing the file
 * trusts is left out.
 */
function notBundled(pem: string): string {
  const bundled = new Set(rootCertificates.map(base64Of));
  return pem.replace(PEM_CERT, (block) => (bundled.has(base64Of(block)) ? '' : block)).trim();
}

/** With --use-openssl-ca the store holds the system's roots, not Node's bundled ones: skip nothing then. */
function usesBundledRoots(): boolean {
  return ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--use-openssl-ca'));
}

// Settings recorded before this module loaded (wiring.ts, ca-access.ts), and any recorded later.
receiveHttpSettings((r) => configureHttp(r.cas, r.opts));
