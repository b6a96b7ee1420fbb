import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { probeTls, type TlsProbeResult } from '../tls/probe.js';
import { chainShape } from './chain.js';
import { TLS_VERSIONS, type EndpointFacts, type HttpProbe, type TlsVersion, type VersionProbe } from './facts.js';
import { certificateFacts } from './x509-facts.js';

/** The suites Apple's ATS accepts with TLS 1.2 (Apple "Preventing Insecure Network Connections"), OpenSSL names. */
export const ATS_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA',
].join(':');

export interface GatherOptions {
  host: string;
  port: number;
  /** TCP destination when it is not `host:port` (testing a name against a local address). */
  connectHost?: string;
  connectPort?: number;
  caFile?: string;
  timeoutMs?: number;
  /** Port for the plain-HTTP redirect check; null skips the HTTP checks. */
  httpPort?: number | null;
}

/** Thrown when not even one handshake succeeds: the CLI maps it to exit 2. */
export class UnreachableError extends Error {}

export async function gatherFacts(o: GatherOptions): Promise<EndpointFacts> {
  const ca = o.caFile ? await readFile(o.caFile, 'utf8') : undefined;
  const address = o.connectHost ?? o.host;
  const port = o.connectPort ?? o.port;
  const base = { host: address, port, servername: o.host, ca, timeoutMs: o.timeoutMs ?? 5000 };
  let main: TlsProbeResult;
  try {
    main = await probeTls(base);
  } catch (err) {
    throw new UnreachableError(`cannot reach ${address}:${port}: ${(err as Error).message.split('\n')[0]}`);
  }
  // One version per handshake; OpenSSL 3 refuses to offer TLS 1.0/1.1 below security level 0.
  const versions: VersionProbe[] = [];
  const results = new Map<TlsVersion, TlsProbeResult>();
  for (const v of TLS_VERSIONS) {
    const old = v === 'TLSv1' || v === 'TLSv1.1';
    try {
      const r = await probeTls({ ...base, minVersion: v, maxVersion: v, ciphers: old ? 'DEFAULT:@SECLEVEL=0' : undefined });
      results.set(v, r);
      versions.push({ version: v, accepted: true, cipher: r.cipher.name, forwardSecret: forwardSecret(r) });
    } catch (err) {
      versions.push({ version: v, accepted: false, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0] });
    }
  }
  // The richest view of the chain: a TLS 1.2 handshake shows the certificates in sent order.
  const chainSource = results.get('TLSv1.2') ?? main;
  const ats = await atsProbe(base, results.get('TLSv1.3'));
  const shape = chainShape(chainSource.chain, chainSource.trustedIssuer);
  const facts: EndpointFacts = {
    host: o.host,
    port: o.port,
    address,
    connectPort: port,
    protocol: main.protocol,
    cipher: main.cipher.name,
    authorized: main.authorized,
    authorizationError: main.authorizationError,
    chain: chainSource.chain.map(certificateFacts),
    chainFromWire: Boolean(chainSource.chainFromWire),
    trustedIssuer: chainSource.trustedIssuer ? certificateFacts(chainSource.trustedIssuer) : undefined,
    shape,
    versions,
    ats,
  };
  if (o.httpPort !== null) {
    const hostHeader = o.port === 443 ? o.host : `${o.host}:${o.port}`;
    const probe = { address, servername: o.host, ca, timeoutMs: base.timeoutMs };
    facts.http = {
      redirect: await httpProbe(`http://${o.host}${o.httpPort === 80 || o.httpPort === undefined ? '' : `:${o.httpPort}`}/`, { ...probe, port: o.httpPort ?? 80, tls: false }),
      https: await httpProbe(`https://${hostHeader}/`, { ...probe, port, tls: true }),
    };
  }
  return facts;
}

function forwardSecret(r: TlsProbeResult): boolean {
  if (r.protocol === 'TLSv1.3') return true;
  return /^(ECDHE|DHE)-/.test(r.cipher.name);
}

async function atsProbe(base: Parameters<typeof probeTls>[0], tls13?: TlsProbeResult): Promise<EndpointFacts['ats']> {
  try {
    const r = await probeTls({ ...base, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: ATS_CIPHERS });
    return { ok: true, protocol: r.protocol ?? undefined, cipher: r.cipher.name };
  } catch (err) {
    // iOS 12.2+ also speaks TLS 1.3, whose suites are all forward-secret.
    if (tls13) return { ok: true, protocol: 'TLSv1.3', cipher: tls13.cipher.name };
    return { ok: false, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

interface HttpProbeTarget {
  /** Where the TCP connection goes, whatever the URL's host. */
  address: string;
  port: number;
  servername: string;
  tls: boolean;
  ca?: string;
  timeoutMs: number;
}

/**
 * One GET without following redirects. One deadline covers the whole probe (connect, TLS, response
 * head): a socket idle timeout alone never fires on a server that sends a byte every few seconds.
 */
function httpProbe(url: string, t: HttpProbeTarget): Promise<HttpProbe> {
  return new Promise((resolve) => {
    const u = new URL(url);
    let deadline: NodeJS.Timeout | undefined;
    const done = (r: HttpProbe) => {
      clearTimeout(deadline);
      resolve(r);
    };
    const opts = {
      host: t.address,
      port: t.port,
      path: '/',
      method: 'GET',
      headers: { Host: u.host, 'User-Agent': 'certkeeper-check' },
      servername: t.servername,
      rejectUnauthorized: false,
      ca: t.ca,
    };
    const req = (t.tls ? httpsRequest : httpRequest)(opts, (res) => {
      const hsts = res.headers['strict-transport-security'];
      done({ url, status: res.statusCode, location: res.headers.location, hsts: Array.isArray(hsts) ? hsts[0] : hsts });
      res.resume();
      req.destroy();
    });
    deadline = setTimeout(() => req.destroy(new Error(`no response within ${t.timeoutMs} ms`)), t.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ url, error: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message }));
    req.end();
  });
}
