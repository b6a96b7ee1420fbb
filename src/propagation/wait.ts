import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AbortedError, PropagationError } from '../errors.js';
import { NameserverFinder } from './authoritative.js';
import { queryTxtDoh } from './doh.js';
import { askAddresses, Reachability, type AddressResult } from './nameserver.js';
import { progressFields, propagationFailure, type NameView, type ServerStatus } from './report.js';
import type { DnsProvider, TxtRecord } from '../dns/provider.js';
import { formatServer, parseServer, txtValues, type DnsResponse, type DnsServer } from '../dns/query.js';

export interface PropagationOptions {
  /** Servers to ask; when absent, each name's authoritative nameservers. */
  resolvers?: string[];
  /** Resolvers used to find the authoritative nameservers (default: the system resolver). */
  bootstrap?: string[];
  /** Finds nameservers and caches them; one per pass is shared by all its orders (default: a fresh one). */
  finder?: NameserverFinder;
  /** What this host can reach (address families, UDP); one per pass, like `finder`. */
  reach?: Reachability;
  /** SERVFAIL/REFUSED/timeouts from fewer than half of a name's nameservers: `ignore` (default) or `wait`. */
  minorityFailure?: 'wait' | 'ignore';
  /** DoH resolvers asked when no authoritative server can be found or reached; [] turns this off. */
  doh?: string[];
  /** Port of the discovered nameservers (53; tests use another). */
  nameserverPort?: number;
  /** Deadline of records without their own (`propagation.timeout`). */
  timeoutMs: number;
  /** First pause between polls; grows by half each round up to maxIntervalMs. */
  firstIntervalMs: number;
  maxIntervalMs: number;
  signal: AbortSignal;
  logger: Logger;
  now?: () => number;
  /** Told how many nameservers serve the values whenever that changes (the progress line). */
  onProgress?: (served: number, total: number) => void;
}

/** A record to wait for; a provider's `propagationTimeout` gives it its own deadline. */
export interface CheckedRecord extends TxtRecord {
  deadline?: { ms: number; setting: string };
}

/** A record with its provider's deadline, when the provider's `propagationTimeout` is set. */
export function withDeadline(record: TxtRecord, dns: Pick<DnsProvider, 'hints' | 'name'>, entry: string | undefined): CheckedRecord {
  const ms = dns.hints.timeoutMs;
  return ms === undefined ? record : { ...record, deadline: { ms, setting: `dns.${entry ?? dns.name}.propagationTimeout` } };
}

/**
 * Starts looking up the authoritative nameservers of these names in the pass's finder, so the wait
 * after the records are written finds them known: the lookups overlap the writes. Only the names'
 * parents are asked of recursive resolvers (authoritative.ts), so nothing negative is cached for a
 * name before its record exists. A failure is not kept: the wait looks again and reports it.
 */
export function findNameserversAhead(fqdns: string[], opts: Pick<PropagationOptions, 'resolvers' | 'finder'>, signal: AbortSignal): void {
  if (opts.resolvers?.length || !opts.finder) return;
  for (const fqdn of new Set(fqdns)) opts.finder.find(fqdn, signal).catch(() => undefined);
}

type Judge = (values: string[], rcode: string) => { status: 'ok' | 'missing' | 'failed'; text: string };
interface Check {
  label: string;
  /** Empty for DoH. */
  addresses: DnsServer[];
  doh?: string;
  /** Configured resolvers are asked to recurse; authoritative servers are not. */
  recursion: boolean;
  status: ServerStatus;
  detail: string;
}
interface Name {
  fqdn: string;
  expected: string[];
  timeoutMs: number;
  setting: string;
  checks: Check[];
  dohAdded: boolean;
}

/** How often a still-waiting check says so in the log when nothing changes. */
const PROGRESS_EVERY_MS = 15_000;

/** Whether the nameservers of one name are good enough to let the CA look (pure; see minorityFailure). */
export function nameSatisfied(checks: { ok: boolean; failed: boolean; doh?: boolean }[], minorityFailure: 'wait' | 'ignore'): boolean {
  const direct = checks.filter((c) => !c.doh);
  const doh = checks.filter((c) => c.doh);
  if (direct.length && direct.every((c) => c.ok)) return true;
  const failed = direct.filter((c) => c.failed).length;
  if (minorityFailure === 'ignore' && direct.some((c) => c.ok) && failed * 2 < direct.length && direct.every((c) => c.ok || c.failed)) return true;
  // Last resort: nothing authoritative could be reached, but a DoH resolver sees every value.
  return (direct.length === 0 || failed === direct.length) && doh.some((c) => c.ok);
}

const verdict = (c: Check) => ({ ok: c.status === 'ok', failed: c.status === 'failed' || c.status === 'unreachable', doh: Boolean(c.doh) });

/**
 * Waits until every name's authoritative nameservers serve every expected value at it: a wildcard and
 * its apex put two values at one name, and both must be served before the CA is asked to look. The
 * unit is a nameserver: it serves the values when any of its addresses does, and an address family
 * this host cannot reach is skipped rather than counted as a failure. Polls start at the provider's
 * hint and grow; never a blind fixed sleep. Progress is logged as it changes; the error at the
 * deadline says what every address answered and which setting helps.
 */
export async function waitForPropagation(records: CheckedRecord[], opts: PropagationOptions): Promise<{ elapsedMs: number; polls: number }> {
  const now = opts.now ?? Date.now;
  const start = now();
  const policy = opts.minorityFailure ?? 'ignore';
  const reach = opts.reach ?? new Reachability();
  const finder = opts.finder ?? new NameserverFinder(opts.bootstrap?.map(parseServer), { reach, port: opts.nameserverPort });
  const names = groupByName(records, opts.timeoutMs);
  const addDoh = (n: Name) => {
    if (n.dohAdded) return;
    n.dohAdded = true;
    for (const url of opts.doh ?? []) n.checks.push({ label: url, addresses: [], doh: url, recursion: true, status: 'pending', detail: 'not asked yet' });
  };

  await Promise.all(
    names.map(async (n) => {
      if (opts.resolvers?.length) {
        n.checks = opts.resolvers.map(parseServer).map((s) => ({ label: formatServer(s), addresses: [s], recursion: true, status: 'pending', detail: 'not asked yet' }));
        return;
      }
      try {
        const zone = await finder.find(n.fqdn, opts.signal);
        n.checks = zone.nameservers.map((ns) => ({ label: ns.name, addresses: ns.addresses, recursion: false, status: 'pending', detail: 'not asked yet' }));
      } catch (err) {
        if (opts.signal.aborted) throw new AbortedError('propagation check aborted');
        if (!opts.doh?.length) throw new PropagationError((err as Error).message, { cause: err });
        opts.logger.warn({ name: n.fqdn, err: (err as Error).message }, 'authoritative nameservers not found; checking through DNS-over-HTTPS');
        addDoh(n);
      }
    }),
  );

  const satisfied = (n: Name) => nameSatisfied(n.checks.map(verdict), policy);
  const views = (list: Name[]): NameView[] => list.map((n) => ({ fqdn: n.fqdn, setting: n.setting, timeoutMs: n.timeoutMs, servers: n.checks.map((c) => ({ label: c.label, doh: Boolean(c.doh), status: c.status, detail: c.detail })) }));
  let interval = opts.firstIntervalMs;
  let polls = 0;
  let lastServed = -1;
  let lastLog = start;
  for (;;) {
    if (opts.signal.aborted) throw new AbortedError('propagation check aborted');
    polls++;
    const open = names.filter((n) => !satisfied(n));
    const remaining = Math.min(...open.map((n) => start + n.timeoutMs - now()));
    const timeoutMs = Math.max(250, Math.min(2000, remaining));
    await Promise.all(open.flatMap((n) => n.checks.filter((c) => c.status !== 'ok').map((c) => ask(n, c, timeoutMs))));
    for (const line of reach.takeNews()) opts.logger.info(line);
    // Every authoritative server of a name unreachable or failing: try DoH for it from the next poll on.
    for (const n of names) if (n.checks.length && n.checks.every((c) => c.doh || verdict(c).failed)) addDoh(n);

    const checks = names.flatMap((n) => n.checks.filter((c) => !c.doh || c.status !== 'pending'));
    if (names.every(satisfied)) {
      const elapsedMs = now() - start;
      const servers = Object.fromEntries(names.flatMap((n) => n.checks.map((c) => [`${n.fqdn} @ ${c.label}`, c.status === 'ok' ? 'ok' : c.detail])));
      opts.logger.info({ names: names.map((n) => n.fqdn), elapsedMs, polls, servers }, 'TXT records propagated');
      const ignored = names.flatMap((n) => n.checks.filter((c) => !c.doh && c.status !== 'ok').map((c) => `${c.label}: ${c.detail}`));
      if (ignored.length) opts.logger.warn({ servers: ignored }, 'some nameservers failed; continuing as propagation.minorityFailure is ignore');
      return { elapsedMs, polls };
    }
    const served = checks.filter((c) => c.status === 'ok').length;
    if (served !== lastServed || now() - lastLog >= PROGRESS_EVERY_MS) {
      lastServed = served;
      lastLog = now();
      opts.logger.info({ elapsedMs: now() - start, ...progressFields(views(names)) }, 'waiting for TXT records');
      opts.onProgress?.(served, checks.length);
    }
    const late = names.filter((n) => !satisfied(n) && now() - start >= n.timeoutMs);
    if (late.length) throw new PropagationError(propagationFailure(views(late), policy));
    const untilDeadline = Math.min(...names.filter((n) => !satisfied(n)).map((n) => start + n.timeoutMs - now()));
    try {
      await sleep(Math.max(0, Math.min(interval, untilDeadline)), undefined, { signal: opts.signal });
    } catch {
      throw new AbortedError('propagation check aborted');
    }
    interval = Math.min(opts.maxIntervalMs, Math.ceil(interval * 1.5));
  }

  async function ask(n: Name, c: Check, timeoutMs: number): Promise<void> {
    const judge: Judge = (values, rcode) => {
      const missing = n.expected.filter((v) => !values.includes(v)).length;
      if (rcode === 'NXDOMAIN' || (rcode === 'NOERROR' && missing)) return { status: 'missing', text: rcode === 'NOERROR' ? `${missing} of ${n.expected.length} values missing` : rcode };
      return rcode === 'NOERROR' ? { status: 'ok', text: 'ok' } : { status: 'failed', text: rcode };
    };
    if (c.doh) {
      try {
        const ans = await queryTxtDoh(c.doh, n.fqdn, { timeoutMs, signal: opts.signal });
        const j = judge(ans.values, ans.rcode);
        [c.status, c.detail] = [j.status, j.text];
      } catch (err) {
        [c.status, c.detail] = ['failed', (err as Error).message];
      }
      return;
    }
    const good = (r: DnsResponse) => judge(txtValues(r.answers, n.fqdn).values, r.rcode).status === 'ok';
    const results = await askAddresses(c.addresses, n.fqdn, 'TXT', { reach, label: c.label, recursion: c.recursion, timeoutMs, signal: opts.signal, good });
    const said = results.map((r) => ({ r, ...describe(r, n.fqdn, c.recursion, judge) }));
    const best = (['ok', 'missing', 'failed', 'unreachable'] as const).find((st) => said.some((s) => s.status === st)) ?? 'unreachable';
    c.status = best;
    c.detail = c.addresses.length === 1 ? said[0]!.text : said.filter((s) => s.r.kind !== 'unused').map((s) => `${s.r.server.host} ${s.text}`).join(', ');
  }
}

/** One address's result as a status and a few words. */
function describe(r: AddressResult, fqdn: string, recursion: boolean, judge: Judge): { status: ServerStatus | 'unused'; text: string } {
  if (r.kind !== 'answer') {
    if (r.kind === 'unused' || r.kind === 'failed') return { status: r.kind, text: r.error };
    return { status: 'unreachable', text: r.kind === 'skipped' ? r.error : `unreachable (${r.error})` };
  }
  const { rcode, answers, authoritative } = r.response;
  // A listed nameserver that does not serve the zone (lame delegation) may answer without AA.
  if (!recursion && !authoritative && rcode === 'NOERROR' && !answers.length) return { status: 'failed', text: 'not authoritative for the zone' };
  const j = judge(txtValues(answers, fqdn).values, rcode);
  return { status: j.status, text: `${j.text}${r.tcp ? ' (TCP)' : ''}` };
}

function groupByName(records: CheckedRecord[], defaultMs: number): Name[] {
  const byName = new Map<string, Name>();
  for (const r of records) {
    const key = r.fqdn.toLowerCase();
    const n = byName.get(key) ?? { fqdn: r.fqdn, expected: [], timeoutMs: 0, setting: 'propagation.timeout', checks: [], dohAdded: false };
    n.expected.push(r.value);
    const ms = r.deadline?.ms ?? defaultMs;
    if (ms > n.timeoutMs) [n.timeoutMs, n.setting] = [ms, r.deadline?.setting ?? 'propagation.timeout'];
    byName.set(key, n);
  }
  return [...byName.values()];
}
