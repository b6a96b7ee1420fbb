import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AbortedError, PropagationError } from '../errors.js';
import { findAuthoritativeServers } from './authoritative.js';
import type { TxtRecord } from './provider.js';
import { formatServer, parseServer, queryTxt, type DnsServer } from './query.js';

export interface PropagationOptions {
  /** Servers to ask; when absent, each name's authoritative nameservers. */
  resolvers?: string[];
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
  server: DnsServer;
  last: string;
  ok: boolean;
}

/**
 * Waits until every server answers with every expected value at each name: a wildcard and its apex
 * put two values at one name, and both must be served before the CA is asked to look. Polls with
 * short, growing intervals and stops the moment all answer, never a blind fixed sleep.
 */
export async function waitForPropagation(records: TxtRecord[], opts: PropagationOptions): Promise<{ elapsedMs: number; polls: number }> {
  const now = opts.now ?? Date.now;
  const start = now();
  const byName = new Map<string, string[]>();
  for (const r of records) byName.set(r.fqdn, [...(byName.get(r.fqdn) ?? []), r.value]);

  const checks: Check[] = [];
  for (const [fqdn, expected] of byName) {
    const servers = opts.resolvers?.length
      ? opts.resolvers.map(parseServer)
      : await findAuthoritativeServers(fqdn).then(
          (r) => r.servers,
          (err: Error) => {
            throw new PropagationError(err.message, { cause: err });
          },
        );
    for (const server of servers) checks.push({ fqdn, expected, server, last: 'not asked yet', ok: false });
  }

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
            const ans = await queryTxt(c.server, c.fqdn, { timeoutMs: Math.min(2000, opts.timeoutMs), signal: opts.signal });
            const missing = c.expected.filter((v) => !ans.values.includes(v));
            c.ok = ans.rcode === 'NOERROR' && missing.length === 0;
            c.last = ans.rcode !== 'NOERROR' ? ans.rcode : missing.length ? `${missing.length} of ${c.expected.length} values missing` : 'ok';
          } catch (err) {
            c.last = (err as Error).message;
          }
        }),
    );
    if (checks.every((c) => c.ok)) {
      const elapsedMs = now() - start;
      opts.logger.info({ names: [...byName.keys()], elapsedMs, polls }, 'TXT records propagated');
      return { elapsedMs, polls };
    }
    if (now() - start + interval > opts.timeoutMs) {
      const pending = checks.filter((c) => !c.ok).map((c) => `${c.fqdn} at ${formatServer(c.server)}: ${c.last}`);
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
