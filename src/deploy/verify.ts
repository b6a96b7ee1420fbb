import { probeTls } from '../tls/probe.js';

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
  servername: string,
  expected: { fingerprint256: string; serial: string },
  now: () => number = Date.now,
): Promise<{ ok: true; attempts: number } | { ok: false; detail: string }> {
  const { host, port } = parseAddress(spec.address);
  const deadline = now() + spec.timeout;
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
    if (now() + delay > deadline) return { ok: false, detail: `${spec.address} (SNI ${servername}) ${last}` };
    await new Promise((r) => setTimeout(r, delay));
  }
}
