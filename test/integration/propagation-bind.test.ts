import { parseOptions } from '../../src/config/option-zod.js';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptor } from '../../providers/rfc2136.js';
import type { DnsProvider } from '../../src/dns/provider.js';
import { waitForPropagation, type PropagationOptions } from '../../src/propagation/wait.js';
import { makeKey, startBind, type RunningBind } from '../harness/bind.js';
import { freePort } from '../harness/ports.js';

const zone = 'prop.test';

/** A DoH resolver stand-in (RFC 8484 GET): relays the wire query to a DNS server over UDP. */
function startDoh(upstream: { host: string; port: number }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const q = Buffer.from(new URL(req.url!, 'http://x').searchParams.get('dns') ?? '', 'base64url');
    if (req.headers.accept !== 'application/dns-message' || q.length < 12) return void res.writeHead(400).end();
    const sock = createSocket('udp4');
    sock.on('message', (m) => {
      sock.close();
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(m);
    });
    sock.send(q, upstream.port, upstream.host);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/dns-query`, server })));
}

describe('propagation check against three real BIND nameservers of one zone (one lags, one SERVFAILs)', () => {
  let a: RunningBind;
  let b: RunningBind;
  let c: RunningBind;
  let updateA: DnsProvider;
  let updateB: DnsProvider;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    const key = makeKey();
    // The same zone on three servers; only A is updated at once, B lags until the test updates it, C
    // cannot load it. named only listens on interface addresses, so they differ by port, not address.
    [a, b, c] = await Promise.all([
      startBind([{ name: zone, updatable: true }], { key }),
      startBind([{ name: zone, updatable: true }], { key }),
      startBind([{ name: zone, broken: true }], { key }),
    ]);
    const make = (server: string) =>
      descriptor.create(parseOptions(descriptor.options, { server, keyName: key.name, secret: key.secret, zone }), { logger, env: {}, baseDir: '/' }) as DnsProvider;
    updateA = make(a.server);
    updateB = make(b.server);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  });

  const opts = (o: Partial<PropagationOptions> = {}): PropagationOptions => ({
    resolvers: [a.server, b.server, c.server],
    doh: [],
    timeoutMs: 1500,
    firstIntervalMs: 100,
    maxIntervalMs: 300,
    signal: AbortSignal.timeout(20_000),
    logger,
    ...o,
  });

  it('waits for the lagging nameserver, ignores the SERVFAILing minority, and reports each server', async () => {
    const rec = { fqdn: `_acme-challenge.lag.${zone}`, value: 'lagging-value' };
    await updateA.present(rec, AbortSignal.timeout(5000));
    const err = await waitForPropagation([rec], opts()).then(() => undefined, (e: Error) => e);
    expect(err?.message).toContain(`at ${b.server}: NXDOMAIN`);
    expect(err?.message).toContain(`at ${c.server}: SERVFAIL`);
    expect(err?.message).not.toContain(`at ${a.server}:`);

    await updateB.present(rec, AbortSignal.timeout(5000));
    const lines: Record<string, unknown>[] = [];
    const capture = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const r = await waitForPropagation([rec], opts({ logger: capture }));
    expect(r.polls).toBeGreaterThanOrEqual(1);
    const done = lines.find((l) => l.msg === 'TXT records propagated') as { servers: Record<string, string> };
    expect(Object.values(done.servers).sort()).toEqual(['SERVFAIL', 'ok', 'ok']);
    expect(lines.some((l) => l.msg === 'some nameservers failed; continuing as propagation.minorityFailure is ignore')).toBe(true);
  });

  it('with minorityFailure: wait, the SERVFAILing nameserver blocks until the timeout', async () => {
    const rec = { fqdn: `_acme-challenge.strict.${zone}`, value: 'v' };
    await Promise.all([updateA.present(rec, AbortSignal.timeout(5000)), updateB.present(rec, AbortSignal.timeout(5000))]);
    await expect(waitForPropagation([rec], opts({ minorityFailure: 'wait' }))).rejects.toThrow(`${c.server}: SERVFAIL`);
  });

  it('finds the authoritative nameservers through the bootstrap resolver (NS, then A)', async () => {
    const rec = { fqdn: `_acme-challenge.found.${zone}`, value: 'found' };
    await updateA.present(rec, AbortSignal.timeout(5000));
    const lines: Record<string, unknown>[] = [];
    const capture = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    await waitForPropagation([rec], opts({ resolvers: undefined, bootstrap: [a.server], nameserverPort: a.port, logger: capture }));
    const done = lines.find((l) => l.msg === 'TXT records propagated') as { servers: Record<string, string> };
    // Nameservers are named by their NS name; the bootstrap zone's one is ns1 → 127.0.0.1.
    expect(done.servers).toEqual({ [`${rec.fqdn} @ ns1.${zone}`]: 'ok' });
  });

  it('falls back to DNS-over-HTTPS when the nameservers cannot be found', async () => {
    const rec = { fqdn: `_acme-challenge.doh.${zone}`, value: 'seen-via-doh' };
    await updateA.present(rec, AbortSignal.timeout(5000));
    const doh = await startDoh({ host: '127.0.0.1', port: a.port });
    try {
      const dead = `127.0.0.1:${await freePort()}`;
      const lines: Record<string, unknown>[] = [];
      const capture = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
      await waitForPropagation([rec], opts({ resolvers: undefined, bootstrap: [dead], doh: [doh.url], logger: capture }));
      expect(lines.some((l) => l.msg === 'authoritative nameservers not found; checking through DNS-over-HTTPS')).toBe(true);
      const done = lines.find((l) => l.msg === 'TXT records propagated') as { servers: Record<string, string> };
      expect(done.servers[`${rec.fqdn} @ ${doh.url}`]).toBe('ok');
      await expect(waitForPropagation([{ ...rec, value: 'never-written' }], opts({ resolvers: undefined, bootstrap: [dead], doh: [doh.url] }))).rejects.toThrow(/1 of 1 values missing/);
    } finally {
      doh.server.close();
    }
  });
});
