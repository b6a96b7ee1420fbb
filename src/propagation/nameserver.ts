import { isIPv6 } from 'node:net';
import type * as dnsPacket from 'dns-packet';
import { formatServer, isUnreachable, queryDns, type DnsResponse, type DnsServer } from '../dns/query.js';

export type Family = 4 | 6;
export const familyOf = (host: string): Family => (isIPv6(host) ? 6 : 4);
const familyName = (f: Family) => `IPv${f}`;

/**
 * What this host can reach, learnt during one pass and shared by its lookups. An address family that
 * only ever failed with "no route" (ENETUNREACH on an IPv4-only VM, the usual Alibaba Cloud and Tencent
 * Cloud case) or stayed silent while the other family answered is skipped for the rest of the pass;
 * an address whose UDP goes unanswered but TCP works is asked over TCP from then on.
 */
export class Reachability {
  private readonly answered = new Set<Family>();
  private readonly skipped = new Map<Family, string>();
  private readonly tcp = new Set<string>();
  private news: string[] = [];

  /** Why a family is skipped, or undefined when it is used. */
  skipReason(f: Family): string | undefined {
    return this.skipped.get(f);
  }

  noteAnswer(f: Family): void {
    this.answered.add(f);
  }

  /** `host` of family `f` could not be reached (`why`); the family is skipped unless it answered before. */
  noteUnreachable(f: Family, host: string, why: string): void {
    if (this.answered.has(f) || this.skipped.has(f)) return;
    this.skipped.set(f, `${familyName(f)} unreachable from this host (${why})`);
    this.news.push(`${familyName(f)} is unreachable from this host (${why} at ${host}): nameservers are asked over ${familyName(f === 4 ? 6 : 4)} only for this pass`);
  }

  usesTcp(s: DnsServer): boolean {
    return this.tcp.has(formatServer(s));
  }

  noteTcpOnly(s: DnsServer, label: string): void {
    if (this.tcp.has(formatServer(s))) return;
    this.tcp.add(formatServer(s));
    const where = label === formatServer(s) ? label : `${label} (${formatServer(s)})`;
    this.news.push(`${where} does not answer over UDP; asking it over TCP`);
  }

  /** Lines not logged yet (each is logged once per pass by whoever takes it). */
  takeNews(): string[] {
    const n = this.news;
    this.news = [];
    return n;
  }
}

export type AddressResult =
  | { server: DnsServer; kind: 'answer'; response: DnsResponse; tcp: boolean }
  | { server: DnsServer; kind: 'failed' | 'unreachable' | 'skipped' | 'unused'; error: string };

export interface AskOptions {
  reach: Reachability;
  /** Name of the nameserver, for log lines. */
  label: string;
  recursion: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  /** An answer that makes asking the other addresses pointless. */
  good(response: DnsResponse): boolean;
  /** Once one family answered, how long the other still gets before it counts as silent. */
  graceMs?: number;
}

/**
 * Asks one nameserver at all its addresses at once (skipping families this host cannot reach) and
 * returns what each said. Stops at the first good answer. When one family has answered and the other
 * is still silent `graceMs` later, the silent family is given up: a black-holed IPv6 route costs that
 * grace once per pass, not a timeout per poll. A UDP failure other than "no route" is retried over TCP.
 */
export async function askAddresses(addresses: DnsServer[], name: string, type: dnsPacket.RecordType, opts: AskOptions): Promise<AddressResult[]> {
  const results: AddressResult[] = addresses.map((server) => {
    const why = opts.reach.skipReason(familyOf(server.host));
    return { server, kind: 'skipped', error: `skipped: ${why}` };
  });
  const live = addresses.map((s, i) => i).filter((i) => !opts.reach.skipReason(familyOf(addresses[i]!.host)));
  const stop = live.map(() => new AbortController());
  const silenced = new Set<number>();
  let finished = false;
  let grace: NodeJS.Timeout | undefined;
  const pending = new Set(live);

  const giveUpOthers = (answered: Family) => {
    grace ??= setTimeout(() => {
      for (const [k, i] of live.entries()) {
        if (pending.has(i) && familyOf(addresses[i]!.host) !== answered) {
          silenced.add(i);
          stop[k]!.abort();
        }
      }
    }, opts.graceMs ?? 500);
  };

  await Promise.all(
    live.map(async (i, k) => {
      const server = addresses[i]!;
      const family = familyOf(server.host);
      // One address alone is never stopped by another: the pass's signal as it is (AbortSignal.any costs).
      const signal = live.length === 1 ? opts.signal : AbortSignal.any([opts.signal, stop[k]!.signal]);
      try {
        const { response, tcp } = await askOne(server, name, type, { ...opts, signal });
        opts.reach.noteAnswer(family);
        results[i] = { server, kind: 'answer', response, tcp };
        if (opts.good(response)) {
          finished = true;
          // Only the addresses still asking: an abort makes a DOMException with its stack, for nothing.
          live.forEach((j, kk) => pending.has(j) && j !== i && stop[kk]!.abort());
        } else giveUpOthers(family);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (silenced.has(i)) {
          const why = `no answer while ${familyName(family === 4 ? 6 : 4)} answered`;
          opts.reach.noteUnreachable(family, server.host, why);
          results[i] = { server, kind: 'unreachable', error: why };
        } else if (finished) {
          results[i] = { server, kind: 'unused', error: 'not needed' };
        } else if (isUnreachable(err)) {
          opts.reach.noteUnreachable(family, server.host, code);
          results[i] = { server, kind: 'unreachable', error: code };
        } else {
          results[i] = { server, kind: 'failed', error: (err as Error).message };
        }
      } finally {
        pending.delete(i);
      }
    }),
  );
  clearTimeout(grace);
  return results;
}

async function askOne(server: DnsServer, name: string, type: dnsPacket.RecordType, opts: AskOptions): Promise<{ response: DnsResponse; tcp: boolean }> {
  const q = { timeoutMs: opts.timeoutMs, signal: opts.signal, recursion: opts.recursion };
  if (opts.reach.usesTcp(server)) return { response: await queryDns(server, name, type, { ...q, tcp: true }), tcp: true };
  try {
    return { response: await queryDns(server, name, type, q), tcp: false };
  } catch (udpErr) {
    if (isUnreachable(udpErr) || opts.signal.aborted) throw udpErr;
    // Some networks drop DNS over UDP but let TCP through: try that before calling the server failed.
    let response: DnsResponse;
    try {
      response = await queryDns(server, name, type, { ...q, tcp: true });
    } catch (tcpErr) {
      if (opts.signal.aborted) throw tcpErr;
      throw Object.assign(new Error(`${(udpErr as Error).message} (UDP); ${(tcpErr as Error).message.replace(/ \(TCP\)$/, '')} (TCP)`), { code: (udpErr as NodeJS.ErrnoException).code });
    }
    opts.reach.noteTcpOnly(server, opts.label);
    return { response, tcp: true };
  }
}
