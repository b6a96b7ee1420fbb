import type { probeTls } from '../tls/probe.js';
import type { NginxListen, NginxServerBlock } from './nginx-dump.js';

export interface VerifySpec {
  address: string;
  servername?: string;
  timeout: number;
}

/** "host:port" or "[v6]:port". */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`"${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** SNI name for the check: the configured one, else the first domain with a wildcard made concrete. */
export function verifyServername(spec: VerifySpec, domains: string[]): string {
  return spec.servername ?? domains[0]!.replace(/^\*\./, 'certkeeper-check.');
}

/**
 * Polls the address until it serves the expected leaf (same SHA-256 fingerprint, so same serial),
 * or the timeout passes. Nginx reloads workers gracefully, so old workers may answer for a moment;
 * polling with a short, growing pause catches the switch as soon as it happens.
 */
export async function waitForServed(
  spec: VerifySpec,
  servername: string | undefined,
  expected: { fingerprint256: string; serial: string },
  now: () => number = Date.now,
): Promise<{ ok: true; attempts: number } | { ok: false; detail: string }> {
  const { host, port } = parseAddress(spec.address);
  const deadline = now() + spec.timeout;
  // The TLS code loads on the first check: a pass that deploys nothing never needs it.
  const { probeTls } = await import('../tls/probe.js');
  let last = 'no answer';
  for (let attempt = 1, delay = 50; ; attempt++, delay = Math.min(delay * 2, 1000)) {
    try {
      const r = await probeTls({ host, port, servername, timeoutMs: Math.max(1000, Math.min(5000, deadline - now())) });
      const leaf = r.chain[0];
      if (leaf?.fingerprint256 === expected.fingerprint256) return { ok: true, attempts: attempt };
      last = leaf ? `serves serial ${leaf.serialNumber.toLowerCase()} (${leaf.subject.replace(/\n/g, ', ')}), expected ${expected.serial}` : 'sent no certificate';
    } catch (err) {
      last = (err as Error).message;
    }
    if (now() + delay > deadline) return { ok: false, detail: `${spec.address} (${servername ? `SNI ${servername}` : 'no SNI'}) ${last}` };
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** One TLS probe of the derived check: where, with which SNI name, for which server block. */
export interface ServedProbe {
  address: string;
  servername?: string;
  /** "FILE:LINE" of the server block. */
  block: string;
}

export interface ServedPlan {
  /** The server blocks whose ssl_certificate is one of the files. */
  blocks: string[];
  probes: ServedProbe[];
  /** Listens or blocks that cannot be probed, and why. */
  skipped: string[];
}

const MAX_PROBES = 32;

/**
 * The probes that show whether Nginx serves a target's new certificate: every TLS listen of every
 * server block using one of `files`, once per server_name (wildcards made concrete; regex and
 * catch-all names skipped). A block without a usable name is probed without SNI when it is the
 * default server of that address. `host` replaces every listen's host (Nginx seen from another
 * network namespace). `same` compares a configured path with a written one (realpath, in the caller).
 */
export function planServedProbes(
  blocks: NginxServerBlock[],
  files: string[],
  opts: { host?: string; same?: (configured: string, written: string) => boolean } = {},
): ServedPlan {
  const same = opts.same ?? ((a, b) => a === b);
  const plan: ServedPlan = { blocks: [], probes: [], skipped: [] };
  const seen = new Set<string>();
  for (const b of blocks) {
    if (!b.certificates.some((c) => files.some((f) => same(c, f)))) continue;
    const tls = b.listens.filter((l) => l.ssl);
    // A plain-HTTP server merely inherits the http block's certificate; one naming it itself was meant to serve it.
    if (!tls.length && b.inherited) continue;
    plan.blocks.push(b.at);
    if (!tls.length) plan.skipped.push(`${b.at}: no TLS listen (add ssl to its listen)`);
    const names = b.serverNames.map(sniName).filter((n): n is string => n !== undefined);
    for (const l of tls) {
      if (l.unprobeable) {
        plan.skipped.push(`${b.at}: listen ${l.address} (${l.unprobeable})`);
        continue;
      }
      const host = opts.host ?? l.host ?? (l.family === 6 ? '::1' : '127.0.0.1');
      const address = host.includes(':') ? `[${host}]:${l.port}` : `${host}:${l.port}`;
      const sni: (string | undefined)[] = names.length ? names : isDefaultFor(b, l, blocks) ? [undefined] : [];
      if (!sni.length) plan.skipped.push(`${b.at}: listen ${l.address} has no server_name to reach it by and is not its default server`);
      for (const servername of sni) {
        const key = `${address} ${servername ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        plan.probes.push({ address, servername, block: b.at });
      }
    }
  }
  if (plan.probes.length > MAX_PROBES) {
    plan.skipped.push(`${plan.probes.length - MAX_PROBES} more probes (only the first ${MAX_PROBES} are made)`);
    plan.probes.length = MAX_PROBES;
  }
  return plan;
}

/** A server_name usable as SNI: "*.example.com" made concrete, ".example.com" as example.com; regex, "_" and "" are not names. */
export function sniName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/^\.(?=.)/, '');
  if (!n || n === '_' || n.startsWith('~') || n.includes('$') || n.endsWith('*') || /^[\d.]+$|:/.test(n)) return undefined;
  return n.startsWith('*.') ? `certkeeper-check.${n.slice(2)}` : n.includes('*') ? undefined : n;
}

/** nginx's default server of an address: the one marked default_server, else the first listed. */
function isDefaultFor(b: NginxServerBlock, l: NginxListen, blocks: NginxServerBlock[]): boolean {
  if (l.defaultServer) return true;
  const on = blocks.filter((o) => o.context === b.context && o.listens.some((x) => x.host === l.host && x.port === l.port && x.family === l.family));
  return !on.some((o) => o.listens.some((x) => x.defaultServer && x.host === l.host && x.port === l.port)) && on[0] === b;
}
