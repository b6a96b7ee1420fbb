/**
 * The resolver guard. Test names (RFC 2606: `.test`, `.example`, `.invalid`, `example.com/net/org`)
 * must never be looked up through the machine's own resolver: they belong to a BIND on loopback or
 * to the test world. Installed in every vitest worker (vitest.config.ts `setupFiles`) and, through
 * NODE_OPTIONS=--import resolver-guard-preload.js set by the global setup, in every Node process a
 * test starts (certkeeper, hooks, the test world's processes). A lookup that breaks the rule fails with ERESOLVERGUARD and is written
 * down, and `guard-setup.ts` fails the test that caused it — even when the code under test caught
 * the error and carried on.
 *
 * "The machine's resolver" is the list in CERTKEEPER_GUARD_RESOLVERS (the global setup writes the
 * host's), else this process's system servers. Inside the test world the system resolver is the
 * world's own, which is allowed.
 */
import dns from 'node:dns';
import dgram from 'node:dgram';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export const GUARD_LOG_ENV = 'CERTKEEPER_GUARD_LOG';
export const GUARD_RESOLVERS_ENV = 'CERTKEEPER_GUARD_RESOLVERS';

const STATE = Symbol.for('certkeeper.resolverGuard');
type State = { violations: string[] };
const g = globalThis as unknown as Record<symbol, State | undefined>;

export function isTestName(name: string): boolean {
  return /(^|\.)(test|example|invalid|example\.com|example\.net|example\.org)\.?$/i.test(name);
}

const hostOf = (server: string) => server.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^([^:]+):\d+$/, '$1');

/** Violations recorded in this process since the last call. */
export function takeViolations(): string[] {
  const s = g[STATE];
  if (!s) return [];
  return s.violations.splice(0);
}

export function installGuard(): void {
  if (g[STATE]) return;
  const state: State = { violations: [] };
  g[STATE] = state;
  const machine = new Set((process.env[GUARD_RESOLVERS_ENV] ?? dns.getServers().join(',')).split(',').filter(Boolean).map(hostOf));
  const usesMachine = (servers: string[]) => servers.some((s) => machine.has(hostOf(s)));

  const violation = (name: string, via: string): Error => {
    const msg = `resolver guard: ${name} looked up through the machine's own resolver (${via}); resolve test names in the test's own DNS (a loopback BIND or test/harness/world)`;
    state.violations.push(msg);
    const file = process.env[GUARD_LOG_ENV];
    if (file) appendFileSync(file, `${msg}\n`);
    return Object.assign(new Error(msg), { code: 'ERESOLVERGUARD' });
  };
  const guarded = (name: unknown, servers: () => string[], via: string) =>
    typeof name === 'string' && isTestName(name) && usesMachine(servers()) ? violation(name, via) : undefined;

  // getaddrinfo (dns.lookup, used by http, net, fetch) reads /etc/resolv.conf like c-ares does.
  const lookup = dns.lookup;
  (dns as any).lookup = function (hostname: string, ...args: any[]) {
    const err = guarded(hostname, () => dns.getServers(), 'dns.lookup');
    if (!err) return (lookup as any).call(this, hostname, ...args);
    const cb = args.find((a) => typeof a === 'function');
    process.nextTick(() => cb?.(err));
  };
  const plookup = dns.promises.lookup;
  (dns.promises as any).lookup = function (hostname: string, ...args: any[]) {
    const err = guarded(hostname, () => dns.getServers(), 'dns.promises.lookup');
    return err ? Promise.reject(err) : (plookup as any).call(this, hostname, ...args);
  };

  const methods = Object.getOwnPropertyNames(dns.Resolver.prototype).filter((m) => m.startsWith('resolve'));
  for (const [target, proto, promises] of [
    [dns, dns.Resolver.prototype, false],
    [dns.promises, dns.promises.Resolver.prototype, true],
  ] as const) {
    for (const m of methods) {
      for (const [obj, servers] of [
        [target, () => dns.getServers()],
        [proto, undefined],
      ] as const) {
        const orig = (obj as any)[m];
        if (typeof orig !== 'function') continue;
        (obj as any)[m] = function (this: any, name: string, ...args: any[]) {
          const err = guarded(name, servers ?? (() => this.getServers()), `dns.${m}`);
          if (!err) return orig.call(this, name, ...args);
          if (promises) return Promise.reject(err);
          const cb = args.find((a) => typeof a === 'function');
          process.nextTick(() => cb?.(err));
        };
      }
    }
  }

  // Hand-made queries (dns-packet over dgram) to the machine's resolver on port 53.
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (this: dgram.Socket, msg: any, ...args: any[]) {
    let address: string | undefined;
    let port: number | undefined;
    try {
      ({ address, port } = this.remoteAddress());
    } catch {
      const rest = args.filter((a) => typeof a !== 'function');
      [port, address] = typeof rest[0] === 'number' && typeof rest[1] === 'number' ? [rest[2], rest[3]] : [rest[0], rest[1]];
    }
    const name = Buffer.isBuffer(msg) && port === 53 && address && machine.has(address) ? questionName(msg) : undefined;
    const err = name ? guarded(name, () => [address!], 'a DNS query over UDP') : undefined;
    if (!err) return (send as any).call(this, msg, ...args);
    const cb = args.find((a) => typeof a === 'function');
    process.nextTick(() => (cb ? cb(err) : this.emit('error', err)));
  } as typeof send;

  syncBuiltinESMExports();
}

/** The first question's name in a DNS message (RFC 1035 §4.1.2), or undefined. */
function questionName(msg: Buffer): string | undefined {
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i]! > 0 && msg[i]! < 64) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString('latin1'));
    i += 1 + msg[i]!;
  }
  return labels.length ? labels.join('.') : undefined;
}
