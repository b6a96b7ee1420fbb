import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * Publishes every TXT value the stand-in holds to pebble-challtestsrv, so Pebble (and our
 * propagation check) see what the "cloud" has. challtestsrv's /clear-txt removes every value at a
 * name, so after each change the name is cleared and its remaining values set again, one name at a time.
 */
export class DnsPublisher {
  private chain = new Map<string, Promise<void>>();
  constructor(private readonly url: string | undefined) {}

  publish(fqdn: string, values: string[]): Promise<void> {
    if (!this.url) return Promise.resolve();
    const host = `${fqdn}.`;
    const prev = this.chain.get(host) ?? Promise.resolve();
    const next = prev.then(async () => {
      await post(`${this.url}/clear-txt`, { host });
      for (const value of values) await post(`${this.url}/set-txt`, { host, value });
    });
    this.chain.set(host, next.catch(() => undefined));
    return next;
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
