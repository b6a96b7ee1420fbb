import { randomInt } from 'node:crypto';
import { connect, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { exchangeUdpShared } from './udp-exchange.js';
import { queryError, tcpFrame, type DnsServer } from './wire.js';

// For providers (rfc2136), which import only this module of src/dns besides the interface.
export { exchangeTcpKept } from './tcp-kept.js';

export type { DnsServer };

export interface TxtAnswer {
  rcode: string;
  values: string[];
  /** Name a CNAME at the queried name points to, when the server sent one. */
  cname?: string;
}

export interface DnsResponse {
  rcode: string;
  /** AA bit: the server answered for a zone it serves (RFC 1035 §4.1.1). */
  authoritative: boolean;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
}

export interface QueryOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** RD bit: ask a resolver to recurse. Authoritative servers are asked without it. */
  recursion?: boolean;
  /** Skip UDP (the server is known to drop it). */
  tcp?: boolean;
}

/** Errors that say this host has no route to the address's family or network: nothing was sent. */
const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

/** Whether a query error means the address cannot be reached from here (as opposed to a silent or failing server). */
export function isUnreachable(err: unknown): boolean {
  return UNREACHABLE.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/** "1.2.3.4", "1.2.3.4:5353", "[::1]:53" → host and port. */
export function parseServer(s: string): DnsServer {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  if (isIPv6(s)) return { host: s, port: 53 };
  const [host, port] = s.split(':');
  return { host: host!, port: Number(port ?? 53) };
}

export function formatServer(s: DnsServer): string {
  return `${s.host.includes(':') ? `[${s.host}]` : s.host}${s.port === 53 ? '' : `:${s.port}`}`;
}

const bare = (n: string) => n.toLowerCase().replace(/\.$/, '');

/**
 * Asks one server directly, over UDP with a fallback to TCP when the answer is truncated (or over TCP
 * only). No cache sits in between, which is what a propagation check needs: every poll must see what
 * the server says now. Errors carry a `code`: the socket's (ENETUNREACH, ECONNREFUSED, ...) or
 * ETIMEOUT when nothing answered.
 */
export async function queryDns(server: DnsServer, name: string, type: dnsPacket.RecordType, opts: QueryOptions = {}): Promise<DnsResponse> {
  const query: dnsPacket.Packet = {
    type: 'query',
    id: randomInt(0, 65536),
    flags: opts.recursion === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
  };
  const timeoutMs = opts.timeoutMs ?? 2000;
  let res = opts.tcp ? await exchangeTcp(server, query, timeoutMs, opts.signal) : await exchangeUdpShared(server, query, timeoutMs, opts.signal);
  if (!opts.tcp && res.flag_tc) res = await exchangeTcp(server, query, timeoutMs, opts.signal);
  return {
    rcode: (res as unknown as { rcode: string }).rcode,
    authoritative: Boolean(res.flag_aa),
    answers: res.answers ?? [],
    authorities: res.authorities ?? [],
  };
}

/** The TXT values at `name` on one server (and the CNAME there, if any). */
export async function queryTxt(server: DnsServer, name: string, opts: QueryOptions = {}): Promise<TxtAnswer> {
  const res = await queryDns(server, name, 'TXT', opts);
  return { rcode: res.rcode, ...txtValues(res.answers, name) };
}

/** TXT values and the CNAME owned by `name` in an answer section. */
export function txtValues(answers: dnsPacket.Answer[], name: string): { values: string[]; cname?: string } {
  const values: string[] = [];
  let cname: string | undefined;
  for (const a of answers) {
    if (bare(a.name) !== bare(name)) continue;
    if (a.type === 'TXT') {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      values.push(parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join(''));
    } else if (a.type === 'CNAME') {
      cname = bare(String(a.data));
    }
  }
  return { values, cname };
}

/** An answer belongs to a query only if id and question match (RFC 5452 §4.3); others are ignored. */
function answers(res: dnsPacket.DecodedPacket, query: dnsPacket.Packet): boolean {
  const q = res.questions?.[0];
  const want = query.questions![0]!;
  return res.id === query.id && res.type === 'response' && q !== undefined && q.type === want.type && bare(q.name) === bare(want.name);
}

async function exchangeTcp(server: DnsServer, query: dnsPacket.Packet, timeoutMs: number, signal?: AbortSignal): Promise<dnsPacket.DecodedPacket> {
  const reply = await exchangeTcpRaw(server, dnsPacket.encode(query), timeoutMs, signal);
  let res: dnsPacket.DecodedPacket;
  try {
    res = dnsPacket.decode(reply);
  } catch (err) {
    throw queryError(`malformed answer: ${(err as Error).message}`, 'EMALFORMED');
  }
  if (!answers(res, query)) throw queryError('the TCP answer does not match the question', 'EMALFORMED');
  return res;
}

/** One DNS message over TCP (RFC 1035 §4.2.2: a two-byte length, then the message); the raw reply. */
export function exchangeTcpRaw(server: DnsServer, wire: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, res?: Buffer) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => done(queryError('aborted', 'ABORT_ERR'));
    const timer = setTimeout(() => done(queryError(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms (TCP)`, 'ETIMEOUT')), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => done(err));
    socket.on('connect', () => socket.write(tcpFrame(wire)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}
