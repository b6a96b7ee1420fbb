import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent as AgentBase, type AgentConnectOpts } from 'agent-base';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { receiveHttpSettings } from './http-settings.js';

/** What one CA needs from the process-wide HTTP layer. */
export interface HttpSettings {
  directory?: string;
  caBundle?: string;
  proxy?: string;
}

// acme-client's axios instance is process-wide, so these are too. They only grow: every CA the
// configuration names is reachable at once (a primary and its fallbacks in one pass).
const bundles = new Set<string>();
const routes = new Map<string, string | undefined>();
let defaultProxy: string | undefined;
let applied: Agents | undefined;
/** acme-client's axios, once the ACME stack is loaded (lib.ts attaches it). */
let axios: { defaults: Record<string, any> } | undefined;

/**
 * acme-client's HTTP settings. We keep connections alive (one TLS handshake per pass, not per
 * request), trust the configured CA bundles on top of the public roots, send each CA's requests
 * through its proxy (an HTTP CONNECT tunnel; other hosts, such as ZeroSSL's EAB API, use
 * `defaultProxy`), and turn off acme-client's own retry loop: that loop sleeps for whatever
 * Retry-After says (an hour on a rate limit) and crashes with a TypeError when the CA is unreachable
 * (upstream issue #101). Retries happen in session.ts instead, bounded. Only ACME traffic goes
 * through this axios instance; the DNS providers' SDKs never see the proxy. The settings are
 * kept until the ACME stack loads: a pass with nothing to order never loads it.
 */
export function configureHttp(cas: HttpSettings[], opts: { defaultProxy?: string } = {}): void {
  for (const ca of cas) {
    if (ca.caBundle) bundles.add(ca.caBundle);
    if (ca.directory) routes.set(originOf(ca.directory), ca.proxy);
  }
  if (opts.defaultProxy !== undefined) defaultProxy = opts.defaultProxy;
  apply();
}

/** Called once by lib.ts with acme-client's axios instance: the settings so far apply from now on. */
export function attachAxios(instance: { defaults: Record<string, any> }): void {
  axios = instance;
  applied = undefined;
  apply();
}

/** The agents every request to a CA goes through (built again only when the settings change). */
interface Agents {
  https: HttpsAgent | RoutingAgent;
  http: HttpAgent | RoutingAgent;
  proxied: boolean;
}
let agents: { key: string; value: Agents } | undefined;

/** The agents for the settings collected so far: acme-client's axios and the plain GETs (ca-get.ts) share them. */
export function caAgents(): Agents {
  const key = JSON.stringify([[...bundles].sort(), [...routes].sort(), defaultProxy ?? null]);
  if (agents?.key === key) return agents.value;
  // One TLS context for every connection: given a `ca` list, Node builds a new context per connection
  // (parsing ~150 roots, tens of ms of CPU each) and keys the agent's pool by the whole list.
  const ctx = bundles.size ? trustContext([...bundles]) : undefined;
  const direct = new HttpsAgent({ keepAlive: true, maxSockets: 16, ...(ctx ? { secureContext: ctx } : {}) });
  const proxied = defaultProxy !== undefined || [...routes.values()].some((p) => p !== undefined);
  const routing = proxied ? new RoutingAgent(ctx, direct, (origin) => (routes.has(origin) ? routes.get(origin) : defaultProxy)) : undefined;
  const value: Agents = { https: routing ?? direct, http: routing ?? new HttpAgent({ keepAlive: true }), proxied };
  agents = { key, value };
  return value;
}

function apply(): void {
  if (!axios) return;
  const a = caAgents();
  if (a === applied) return;
  applied = a;
  axios.defaults.httpsAgent = a.https;
  if (a.proxied) {
    axios.defaults.httpAgent = a.http;
    // The configured proxy, not one from the environment (axios reads HTTPS_PROXY by itself).
    axios.defaults.proxy = false;
  }
  axios.defaults.acmeSettings.retryMaxAttempts = 0;
  axios.defaults.timeout = 30_000;
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
 * NODE_EXTRA_CA_CERTS, so that file is added too), and other contexts never trust the bundles.
 * Building the same union from a `ca` list of PEM strings costs about 0.1 s of CPU.
 */
export function trustContext(files: string[]): SecureContext {
  const ctx = createSecureContext();
  const store = (ctx as SecureContext & { context: { addCACert(pem: string): void } }).context;
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  for (const f of [...files, ...(extra ? [extra] : [])]) store.addCACert(readFileSync(f, 'utf8'));
  return ctx;
}

/** Sends each request direct or through the proxy its target's CA is configured with. */
class RoutingAgent extends AgentBase {
  private readonly proxies = new Map<string, HttpsProxyAgent<string>>();
  private readonly plain = new HttpAgent({ keepAlive: true });

  constructor(
    private readonly secureContext: SecureContext | undefined,
    private readonly direct: HttpsAgent,
    private readonly proxyFor: (origin: string) => string | undefined,
  ) {
    super({ keepAlive: true, maxSockets: 16 });
  }

  connect(req: ClientRequest, opts: AgentConnectOpts): Promise<import('node:net').Socket> | HttpAgent {
    const proxy = this.proxyFor(`${opts.host}:${opts.port}`);
    if (!proxy) return opts.secureEndpoint ? this.direct : this.plain;
    let agent = this.proxies.get(proxy);
    if (!agent) this.proxies.set(proxy, (agent = new HttpsProxyAgent(proxy, { keepAlive: true })));
    // The tunnel's TLS session is with the CA, so the CA bundle applies to it, not to the proxy.
    return agent.connect(req, { ...opts, ...(this.secureContext ? { secureContext: this.secureContext } : {}) } as AgentConnectOpts);
  }
}

// Settings recorded before this module loaded (wiring.ts, ca-access.ts), and any recorded later.
receiveHttpSettings((r) => configureHttp(r.cas, r.opts));
