/**
 * The words of the propagation check: what each nameserver's addresses answered, and — when it gives
 * up — which setting can help. Pure functions over the check's state, so they are unit-tested alone.
 */

export type ServerStatus = 'pending' | 'ok' | 'missing' | 'failed' | 'unreachable';

/** One nameserver (or configured resolver, or DoH URL) as the check sees it for one name. */
export interface ServerView {
  label: string;
  doh: boolean;
  status: ServerStatus;
  /** What its addresses said, e.g. `127.53.1.1 NXDOMAIN, 2001:db8:1::53 skipped (IPv6 unreachable from this host)`. */
  detail: string;
}

export interface NameView {
  fqdn: string;
  /** The setting that set this name's deadline: `propagation.timeout` or `dns.<entry>.propagationTimeout`. */
  setting: string;
  timeoutMs: number;
  servers: ServerView[];
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`.replace(/\.0s$/, 's');

/** The one-line error when names are still not served at their deadline. */
export function propagationFailure(late: NameView[], policy: 'wait' | 'ignore'): string {
  const first = late[0]!;
  const parts: string[] = [];
  for (const n of late) {
    const direct = n.servers.filter((s) => !s.doh || s.status !== 'pending');
    for (const s of direct.filter((x) => x.status !== 'ok')) parts.push(`${n.fqdn} at ${s.label}: ${s.detail}`);
    const ok = direct.filter((x) => x.status === 'ok').map((x) => x.label);
    if (ok.length) parts.push(`${n.fqdn} served by ${ok.join(', ')}`);
  }
  return `TXT records not visible after ${seconds(first.timeoutMs)} (${first.setting}): ${parts.join('; ')}. ${advice(late, policy)}`;
}

/** What to do about it, from what the nameservers said (most specific first). */
export function advice(late: NameView[], policy: 'wait' | 'ignore'): string {
  const servers = late.flatMap((n) => n.servers.filter((s) => !s.doh));
  const setting = late[0]!.setting;
  const count = (st: ServerStatus) => servers.filter((s) => s.status === st).length;
  if (servers.length && count('unreachable') === servers.length) {
    return 'This host reaches none of these nameservers: allow DNS (UDP and TCP port 53) out, or set propagation.resolvers to resolvers it can reach that see the zone.';
  }
  const tips: string[] = [];
  if (count('missing')) {
    tips.push(
      count('ok')
        ? `Some nameservers do not serve the values yet (a lagging secondary): raise ${setting} if this provider's secondaries are known to be slow.`
        : `No nameserver serves the values: check that the DNS provider writes them into this zone (certkeeper dns test ${/^dns\.(.+)\.propagationTimeout$/.exec(setting)?.[1] ?? 'NAME'}); raise ${setting} only if it publishes slowly.`,
    );
  }
  const failing = count('failed') + count('unreachable');
  if (failing) {
    tips.push(
      policy === 'wait' && failing * 2 < servers.length
        ? 'A minority of nameservers fails: propagation.minorityFailure: ignore goes ahead without them, as the CA\'s resolver does.'
        : 'Nameservers fail from this host: if they work from elsewhere, set propagation.resolvers to resolvers that reach them, or propagation.bootstrap if the system resolver gives wrong nameservers.',
    );
  }
  if (!tips.length) tips.push(`Raise ${setting} if the provider is slow.`);
  return tips.join(' ');
}

/** The info log fields while waiting: who serves the values already, who does not yet and why. */
export function progressFields(names: NameView[]): { served: string[]; waiting: Record<string, string> } {
  const served: string[] = [];
  const waiting: Record<string, string> = {};
  for (const n of names) {
    for (const s of n.servers) {
      if (s.doh && s.status === 'pending') continue;
      if (s.status === 'ok') served.push(`${n.fqdn} @ ${s.label}`);
      else waiting[`${n.fqdn} @ ${s.label}`] = s.detail;
    }
  }
  return { served, waiting };
}
