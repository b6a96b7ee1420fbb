import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface DnsServer {
  host: string;
  port: number;
}

export interface TxtAnswer {
  rcode: string;
  values: string[];
  /** Name a CNAME at the queried name points to, when the server sent one. */
  cname?: string;
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

/**
 * Asks one server directly for the TXT records at `name`, over UDP with a fallback to TCP when the
 * answer is truncated. No cache sits in between (c-ares keeps one), which is what a propagation
 * check needs: every poll must see what the server says now.
 */
export async function queryTxt(server: DnsServer, name: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TxtAnswer> {
  const query: dnsPacket.Packet = {
    type: 'query',
    id: randomInt(0, 65536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'TXT', name }],
  };
  let res = await exchangeUdp(server, query, opts.timeoutMs ?? 2000, opts.signal);
  if (res.flag_tc) res = await exchangeTcp(server, query, opts.timeoutMs ?? 2000, opts.signal);
  const rcode = (res as unknown as { rcode: string }).rcode;
  const values: string[] = [];
  let cname: string | undefined;
  for (const a of res.answers ?? []) {
    if (a.type === 'TXT' && a.name.toLowerCase() === name.toLowerCase()) {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      values.push(parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join(''));
    } else if (a.type === 'CNAME' && a.name.toLowerCase() === name.toLowerCase()) {
      cname = String(a.data).replace(/\.$/, '');
    }
  }
  return { rcode, values, cname };
}

function exchangeUdp(server: DnsServer, query: dnsPacket.Packet, timeoutMs: number, signal?: AbortSignal): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    const done = (err: Error | null, res?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      try {
        const res = dnsPacket.decode(msg);
        if (res.id !== query.id) return; // a stray or spoofed answer: keep waiting
        done(null, res);
      } catch (err) {
        done(new Error(`malformed answer: ${(err as Error).message}`));
      }
    });
    socket.send(dnsPacket.encode(query), server.port, server.host);
  });
}

async function exchangeTcp(server: DnsServer, query: dnsPacket.Packet, timeoutMs: number, signal?: AbortSignal): Promise<dnsPacket.DecodedPacket> {
  const reply = await exchangeTcpRaw(server, dnsPacket.encode(query), timeoutMs, signal);
  try {
    return dnsPacket.decode(reply);
  } catch (err) {
    throw new Error(`malformed answer: ${(err as Error).message}`);
  }
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
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(() => done(new Error(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms (TCP)`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => done(err));
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([wire.length >> 8, wire.length & 0xff]), wire])));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}
