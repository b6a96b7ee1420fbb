import { Resolver } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AbortedError, PropagationError } from '../errors.js';
import { findAuthoritativeServers } from './authoritative.js';
import { queryTxtDoh } from './doh.js';
import type { TxtRecord } from './provider.js';
import { formatServer, parseServer, queryTxt, type DnsServer, type TxtAnswer } from './query.js';

export interface PropagationOptions {
  /** Servers to ask; when absent, each name's authoritative nameservers. */
  resolvers?: string[];
  /** Resolvers used to find the authoritative nameservers (default: the system resolver). */
  bootstrap?: string[];
  /** SERVFAIL/REFUSED/timeouts from fewer than half of a name's servers: `ignore` (default) or `wait`. */
  minorityFailure?: 'wait' | 'ignore';
  /** DoH resolvers asked when no authoritative server can be found or reached; [] turns this off. */
  doh?: string[];
  /** Port of the discovered nameservers (53; tests use another). */
  nameserverPort?: number;
  timeoutMs: number;
  /** First pause between polls; grows by half each round up to maxIntervalMs. */
  firstIntervalMs: number;
  maxIntervalMs: number;
  signal: AbortSignal;
  logger: Logger;
  now?: () => number;
}

interface Check {
  fqdn: string;
  expected: string[];
  server: DnsServer | { doh: string };
  last: string;
  ok: boolean;
  /** The server failed (SERVFAIL, REFUSED, timeout) rather than answering without the values. */
  failed: boolean;
}

const label = (s: Check['server']) => ('doh' in s ? s.doh : formatServer(s));

/** Whether the checks of one name are good enough to let the CA look (pure; see minorityFailure). */
export function nameSatisfied(checks: Pick<Check, 'ok' | 'failed' | 'server'>[], minorityFailure: 'wait' | 'ignore'): boolean {
  const direct = checks.filter((c) => !('doh' in c.server));
  const doh = checks.filter((c) => 'doh' in c.server);
  if (direct.length && direct.every((c) => c.ok)) return true;
  const failed = direct.filter((c) => c.failed).length;
  if (minorityFailure === 'ignore' && direct.some((c) => c.ok) && failed * 2 < direct.length && direct.every((c) => c.ok || c.failed)) return true;
  // Last resort: nothing authoritative could be reached, but a DoH resolver sees every value.
  return (direct.length === 0 || failed === direct.length) && doh.some((c) => c.ok);
}

/**
 * Waits until every name's authoritative servers serve every expected value at it: a wildcard and its
 * apex put two values at one name, and both must be served before the CA is asked to look. Each
 * server is asked directly (UDP, TCP on truncation); polls start at the provider's hint and grow;
 * never a blind fixed sleep. Per-server results are logged and named in the error.
 */
export async function waitForPropagation(records: TxtRecord[], opts: PropagationOptions): Promise<{ elapsedMs: number; polls: number }> {
  const now = opts.now ?? Date.now;
  const start = now();
  const policy = opts.minorityFailure ?? 'ignore';
  const doh = opts.doh ?? [];
  const byName = new Map<string, string[]>();
  for (const r of records) byName.set(r.fqdn, [...(byName.get(r.fqdn) ?? []), r.value]);

  const bootstrap = opts.bootstrap?.length ? new Resolver({ timeout: 3000, tries: 2 }) : undefined;
  bootstrap?.setServers(opts.bootstrap!);
  const checks: Check[] = [];
  const addDoh = (fqdn: string, expected: string[]) => {
    if (checks.some((c) => c.fqdn === fqdn && 'doh' in c.server)) return;
    for (const url of doh) checks.push({ fqdn, expected, server: { doh: url }, last: 'not asked yet', ok: false, failed: false });
  };
  for (const [fqdn, expected] of byName) {
    let servers: DnsServer[];
    if (opts.resolvers?.length) servers = opts.resolvers.map(parseServer);
    else {
      try {
        servers = (await findAuthoritativeServers(fqdn, bootstrap)).servers.map((s) => ({ ...s, port: opts.nameserverPort ?? s.port }));
      } catch (err) {
        if (!doh.length) throw new PropagationError((err as Error).message, { cause: err });
        opts.logger.warn({ name: fqdn, err: (err as Error).message }, 'authoritative nameservers not found; checking through DNS-over-HTTPS');
        servers = [];
        addDoh(fqdn, expected);
      }
    }
    for (const server of servers) checks.push({ fqdn, expected, server, last: 'not asked yet', ok: false, failed: false });
  }

  const satisfied = () => [...byName.keys()].every((n) => nameSatisfied(checks.filter((c) => c.fqdn === n), policy));
  let interval = opts.firstIntervalMs;
  let polls = 0;
  for (;;) {
    if (opts.signal.aborted) throw new AbortedError('propagation check aborted');
    polls++;
    await Promise.all(
      checks
        .filter((c) => !c.ok)
        .map(async (c) => {
          try {
            const q = { timeoutMs: Math.min(2000, opts.timeoutMs), signal: opts.signal };
            const ans: TxtAnswer = 'doh' in c.server ? await queryTxtDoh(c.server.doh, c.fqdn, q) : await queryTxt(c.server, c.fqdn, q);
            const missing = c.expected.filter((v) => !ans.values.includes(v));
            c.ok = ans.rcode === 'NOERROR' && missing.length === 0;
            c.failed = ans.rcode !== 'NOERROR' && ans.rcode !== 'NXDOMAIN';
            c.last = ans.rcode !== 'NOERROR' ? ans.rcode : missing.length ? `${missing.length} of ${c.expected.length} values missing` : 'ok';
          } catch (err) {
            c.failed = true;
            c.last = (err as Error).message;
          }
        }),
    );
    // Every authoritative server of a name unreachable: try DoH for it from the next poll on.
    for (const [fqdn, expected] of byName) {
      const direct = checks.filter((c) => c.fqdn === fqdn && !('doh' in c.server));
      if (doh.length && direct.length && direct.every((c) => c.failed)) addDoh(fqdn, expected);
    }
    if (satisfied()) {
      const elapsedMs = now() - start;
      const servers = Object.fromEntries(checks.map((c) => [`${c.fqdn} @ ${label(c.server)}`, c.last]));
      opts.logger.info({ names: [...byName.keys()], elapsedMs, polls, servers }, 'TXT records propagated');
      const ignored = checks.filter((c) => !c.ok && !('doh' in c.server));
      if (ignored.length) opts.logger.warn({ servers: ignored.map((c) => `${label(c.server)}: ${c.last}`) }, 'some nameservers failed; continuing as propagation.minorityFailure is ignore');
      return { elapsedMs, polls };
    }
    if (now() - start + interval > opts.timeoutMs) {
      const pending = checks.filter((c) => !c.ok).map((c) => `${c.fqdn} at ${label(c.server)}: ${c.last}`);
      throw new PropagationError(
        `TXT records not visible after ${Math.round((now() - start) / 1000)}s (${pending.join('; ')}); check the DNS provider, or raise propagation.timeout`,
      );
    }
    try {
      await sleep(interval, undefined, { signal: opts.signal });
    } catch {
      throw new AbortedError('propagation check aborted');
    }
    interval = Math.min(opts.maxIntervalMs, Math.ceil(interval * 1.5));
  }
}
