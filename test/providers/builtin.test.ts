import { parseOptions } from '../../src/config/option-zod.js';
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinServer, descriptor, stopBuiltinServers } from '../../providers/builtin.js';
import { ChallengeServer } from '../../providers/lib/challenge-server.js';
import type { DnsProvider } from '../../src/dns/provider.js';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { providerContract } from '../contract/provider-contract.js';
import { freePort } from '../harness/ports.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const zone = 'acme.example.test';

async function dig(port: number, ...args: string[]): Promise<string> {
  return (await run('dig', ['-p', String(port), '@127.0.0.1', '+tries=1', '+time=2', ...args])).stdout;
}

describe('builtin challenge DNS server', () => {
  let port: number;
  let listen: string;
  let provider: DnsProvider;
  const read = async (fqdn: string) => (await queryTxt(parseServer(listen), fqdn)).values;

  beforeAll(async () => {
    port = await freePort();
    listen = `127.0.0.1:${port}`;
    provider = await descriptor.create(parseOptions(descriptor.options, { zone, listen, nameserver: 'ns1.example.test', rateLimit: 1000 }), { logger, env: {}, baseDir: '/' });
  });
  afterAll(() => stopBuiltinServers());

  it('starts on the first present and answers TXT over UDP and TCP (dig), SOA/NS at the apex', async () => {
    expect(builtinServer(listen)?.running ?? false).toBe(false);
    await provider.present({ fqdn: `_acme-challenge.www.${zone}`, value: 'token-1' }, AbortSignal.timeout(5000));
    expect(builtinServer(listen)?.running).toBe(true);
    const udp = await dig(port, `_acme-challenge.www.${zone}`, 'TXT');
    expect(udp).toMatch(/status: NOERROR/);
    expect(udp).toMatch(/flags: qr aa/);
    expect(udp).toMatch(/IN\s+TXT\s+"token-1"/);
    const tcp = await dig(port, '+tcp', `_acme-challenge.www.${zone}`, 'TXT');
    expect(tcp).toMatch(/IN\s+TXT\s+"token-1"/);
    expect(tcp).toMatch(/\(TCP\)/);
    expect(await dig(port, zone, 'SOA')).toMatch(/IN\s+SOA\s+ns1\.example\.test\. hostmaster\.acme\.example\.test\./);
    expect(await dig(port, zone, 'NS')).toMatch(/IN\s+NS\s+ns1\.example\.test\./);
    await provider.cleanup({ fqdn: `_acme-challenge.www.${zone}`, value: 'token-1' }, AbortSignal.timeout(5000));
  });

  it('answers NXDOMAIN inside the zone, REFUSED outside it, and works with Node resolver', async () => {
    expect(await dig(port, `nothing.${zone}`, 'TXT')).toMatch(/status: NXDOMAIN/);
    expect(await dig(port, 'example.com', 'TXT')).toMatch(/status: REFUSED/);
    await provider.present({ fqdn: `_acme-challenge.node.${zone}`, value: 'from-node' }, AbortSignal.timeout(5000));
    const r = new Resolver();
    r.setServers([listen]);
    expect(await r.resolveTxt(`_acme-challenge.node.${zone}`)).toEqual([['from-node']]);
    await provider.cleanup({ fqdn: `_acme-challenge.node.${zone}`, value: 'from-node' }, AbortSignal.timeout(5000));
    await expect(r.resolveTxt(`_acme-challenge.node.${zone}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses to present a name outside its zone', async () => {
    await expect(provider.present({ fqdn: '_acme-challenge.example.com', value: 'x' }, AbortSignal.timeout(5000))).rejects.toThrow(/outside zone acme\.example\.test/);
  });

  it('rate-limits per source: a burst of twice the rate, then one token per 1/rate s', () => {
    let t = 0;
    const s = new ChallengeServer({ zone, host: '127.0.0.1', port: 0, nameserver: 'ns', rateLimit: 5, ttl: 10 }, () => t);
    const allowed = Array.from({ length: 15 }, () => s.allow('198.51.100.1')).filter(Boolean).length;
    expect(allowed).toBe(10);
    expect(s.allow('198.51.100.2')).toBe(true);
    t += 200;
    expect(s.allow('198.51.100.1')).toBe(true);
    expect(s.allow('198.51.100.1')).toBe(false);
  });

  it('drops queries over the rate limit on the wire', async () => {
    const limited = `127.0.0.1:${await freePort()}`;
    const p = await descriptor.create(parseOptions(descriptor.options, { zone: 'limited.test', listen: limited, rateLimit: 0.001 }), { logger, env: {}, baseDir: '/' });
    await p.present({ fqdn: '_acme-challenge.limited.test', value: 'v' }, AbortSignal.timeout(5000));
    const server = parseServer(limited);
    expect(builtinServer(limited)?.running).toBe(true);
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => queryTxt(server, '_acme-challenge.limited.test', { timeoutMs: 500 })));
    // A burst of 2 × 0.001 rounds down to no token at all: every query is dropped, none answered.
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });

  // A second instance of the same listen address shares the server, as parallel orders in one process do.
  providerContract('builtin (certkeeper answers the challenge itself)', async () => ({
    zone,
    subZone: { notApplicable: 'serves the one zone it is configured with; names are CNAMEd into it, nothing is looked up' },
    create: async () => descriptor.create(parseOptions(descriptor.options, { zone, listen, nameserver: 'ns1.example.test', rateLimit: 1000 }), { logger, env: {}, baseDir: '/' }),
    values: read,
    faults: { notApplicable: 'no API between certkeeper and its own server: nothing can throttle or fail in between' },
    authMessage: { notApplicable: 'no credentials: certkeeper is the server' },
    stop: async () => undefined, // afterAll above stops the servers
  }));
});

