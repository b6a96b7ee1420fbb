import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildUpdate, findZoneBySoa, sendSigned } from '../../providers/lib/dns-update.js';
import { parseServer } from '../../src/dns/query.js';

/** Faults a test can ask a stand-in for; counters count down as requests consume them. */
export interface Faults {
  /** Answer the next N requests with the vendor's throttling error. */
  throttle: number;
  /** Answer the next N requests with HTTP 5xx. */
  serverError: number;
  /** Delay every answer by this many ms. */
  latencyMs: number;
  /** List calls do not show a record until this many ms after its creation (the vendors' sync lag). */
  listLagMs: number;
}

export interface FakeRecord {
  id: string;
  zone: string;
  rr: string;
  type: string;
  value: string;
  ttl: number;
  created: number;
}

export interface FakeZone {
  /** The name as the account lists it (may be Unicode). */
  name: string;
  punycode: string;
}

/** A DNS primary that takes TSIG-signed RFC 2136 updates (the test world's, see test/harness/world). */
export interface Rfc2136Target {
  server: string;
  key: { name: string; algorithm: 'hmac-sha256' | 'hmac-sha512'; secret: string };
}

/**
 * Publishes every TXT value the stand-in holds, so the CA (and our propagation check) see what the
 * "cloud" has: to pebble-challtestsrv (whose /clear-txt removes every value at a name, so after each
 * change the name is cleared and its remaining values set again), or into a real DNS primary by RFC
 * 2136 updates of exactly the values that came and went — as the vendors' own servers publish.
 * One name at a time, in order.
 */
export class DnsPublisher {
  private chain = new Map<string, Promise<void>>();
  private published = new Map<string, string[]>();
  constructor(
    private readonly url: string | undefined,
    private readonly rfc2136?: Rfc2136Target,
  ) {}

  publish(fqdn: string, values: string[]): Promise<void> {
    if (!this.url && !this.rfc2136) return Promise.resolve();
    const host = `${fqdn}.`;
    const prev = this.chain.get(host) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (this.rfc2136) return this.update(this.rfc2136, fqdn, values);
      await post(`${this.url}/clear-txt`, { host });
      for (const value of values) await post(`${this.url}/set-txt`, { host, value });
    });
    this.chain.set(host, next.catch(() => undefined));
    return next;
  }

  private async update(target: Rfc2136Target, fqdn: string, values: string[]): Promise<void> {
    const server = parseServer(target.server);
    const key = { ...target.key, secret: Buffer.from(target.key.secret, 'base64') };
    const signal = AbortSignal.timeout(10_000);
    const zone = await findZoneBySoa(server, fqdn, 5000, signal);
    if (!zone) throw new Error(`${target.server} has no zone for ${fqdn}`);
    const before = this.published.get(fqdn) ?? [];
    const changes = [
      ...values.filter((v) => !before.includes(v)).map((v) => ['add', v] as const),
      ...before.filter((v) => !values.includes(v)).map((v) => ['delete', v] as const),
    ];
    for (const [action, value] of changes) {
      const r = await sendSigned(server, buildUpdate(zone, action, fqdn, value, 600), key, 5000, signal);
      if (r.rcode !== 'NOERROR' || r.tsigProblem) throw new Error(`RFC 2136 ${action} of ${fqdn} at ${target.server}: ${r.rcode} ${r.tsigProblem ?? ''}`);
    }
    this.published.set(fqdn, values);
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`challtestsrv ${url}: HTTP ${r.status}`);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`stand-in crashed: ${err.message}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

export function noFaults(): Faults {
  return { throttle: 0, serverError: 0, latencyMs: 0, listLagMs: 0 };
}

/** The TXT values at one fully qualified name, from all zones. */
export function valuesAt(records: Iterable<FakeRecord>, fqdn: string): string[] {
  const out: string[] = [];
  for (const r of records) if (r.type === 'TXT' && (r.rr === '@' ? r.zone : `${r.rr}.${r.zone}`) === fqdn) out.push(r.value);
  return out;
}
