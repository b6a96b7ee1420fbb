import * as dnsPacket from 'dns-packet';
import type { TxtAnswer } from '../dns/query.js';

/**
 * TXT lookup over DNS-over-HTTPS: RFC 8484 wire format (GET ?dns=), or the JSON API when the URL
 * ends in /resolve (Alidns) — both are what those services document.
 */
export async function queryTxtDoh(url: string, name: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TxtAnswer> {
  const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 3000), ...(opts.signal ? [opts.signal] : [])]);
  if (/\/resolve\/?$/.test(new URL(url).pathname)) {
    const u = new URL(url);
    u.searchParams.set('name', name);
    u.searchParams.set('type', 'TXT');
    const res = await fetch(u, { headers: { accept: 'application/dns-json' }, signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { Status: number; Answer?: { name: string; type: number; data: string }[] };
    const rcodes: Record<number, string> = { 0: 'NOERROR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 5: 'REFUSED' };
    const values = (body.Answer ?? []).filter((a) => a.type === 16).map((a) => (a.data.match(/"((?:[^"\\]|\\.)*)"/g) ?? [a.data]).map((p) => p.replace(/^"|"$/g, '')).join(''));
    return { rcode: rcodes[body.Status] ?? `RCODE${body.Status}`, values };
  }
  const q = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }] });
  const u = new URL(url);
  u.searchParams.set('dns', q.toString('base64url'));
  const res = await fetch(u, { headers: { accept: 'application/dns-message' }, signal });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const packet = dnsPacket.decode(Buffer.from(await res.arrayBuffer()));
  const values: string[] = [];
  for (const a of packet.answers ?? []) {
    if (a.type !== 'TXT' || a.name.toLowerCase() !== name.toLowerCase()) continue;
    const parts = Array.isArray(a.data) ? a.data : [a.data];
    values.push(parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join(''));
  }
  return { rcode: (packet as unknown as { rcode: string }).rcode, values };
}
