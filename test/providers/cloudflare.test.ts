import { parseOptions } from '../../src/config/option-zod.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { descriptor } from '../../providers/cloudflare.js';
import type { DnsProvider } from '../../src/dns/provider.js';
import { CertkeeperError } from '../../src/errors.js';
import { readCertificateInfo } from '../../src/store/x509.js';
import { runCertkeeper } from '../harness/cli.js';
import { providerContract } from '../contract/provider-contract.js';
import { tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fakes/cloudflare.js';

const pebble = inject('pebble');
const logger = pino({ level: 'silent' });

describe('cloudflare provider against a stand-in of API v4', () => {
  const zone = uniqueDomain('cf');
  const sub = `sub.${zone}`;
  const idnZone = `bücher-${zone}`;
  let cf: FakeCloudflare;
  let provider: DnsProvider;
  const make = (o: Record<string, unknown> = {}) =>
    descriptor.create(parseOptions(descriptor.options, { apiToken: cf.token, endpoint: cf.url, ...o }), { logger, env: {}, baseDir: '/' }) as DnsProvider;

  beforeAll(async () => {
    const idn = new URL(`http://${idnZone}`).hostname;
    cf = await startFakeCloudflare({ zones: [zone, sub, idn, 'other.test'], challtestsrvUrl: pebble.challtestsrvUrl, tokenZones: [zone, sub, idn] });
    provider = make();
  });
  afterAll(() => cf?.stop());

  it('picks the longest matching zone and deletes by record id', async () => {
    const rec = { fqdn: `_acme-challenge.www.${sub}`, value: 'v1' };
    await provider.present(rec, AbortSignal.timeout(5000));
    const created = [...cf.records.values()].find((r) => r.name === rec.fqdn)!;
    expect(cf.zones.find((z) => z.id === created.zoneId)!.name).toBe(sub);
    await provider.cleanup(rec, AbortSignal.timeout(5000));
    expect(cf.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(`/dns_records/${created.id}`))).toBe(true);
    expect(cf.records.has(created.id)).toBe(false);
  });

  it('adopts an identical existing record (81058) and finds it across pages to clean it up', async () => {
    const fqdn = `_acme-challenge.many.${zone}`;
    const zoneId = cf.zones.find((z) => z.name === zone)!.id;
    // Seed the stand-in's state directly (publishing 130 records one by one would be slow).
    for (let i = 0; i < 130; i++) cf.records.set(`seed${i}`, { id: `seed${i}`, zoneId, type: 'TXT', name: fqdn, content: `filler-${i}`, ttl: 60 });
    await make().present({ fqdn, value: 'filler-120' }, AbortSignal.timeout(5000)); // a second process: 81058
    const fresh = make(); // knows no ids: must list page 2 to find it
    await fresh.cleanup({ fqdn, value: 'filler-125' }, AbortSignal.timeout(5000));
    expect([...cf.records.values()].some((r) => r.content === 'filler-125')).toBe(false);
    expect([...cf.records.values()].filter((r) => r.name === fqdn)).toHaveLength(129);
    expect(cf.requests.some((r) => r.path.includes('page=2'))).toBe(true);
    for (const r of [...cf.records.values()].filter((x) => x.name === fqdn)) cf.records.delete(r.id);
  });

  it('reports a bad token and a zone the token cannot see as clear errors', async () => {
    const bad = make({ apiToken: 'wrong' });
    const err = await bad.present({ fqdn: `_acme-challenge.${zone}`, value: 'x' }, AbortSignal.timeout(5000)).then(() => undefined, (e: unknown) => e);
    expect((err as CertkeeperError).code).toBe('DNS_AUTH');
    expect((err as Error).message).toMatch(/9109 Invalid access token; check CLOUDFLARE_API_TOKEN/);
    await expect(provider.present({ fqdn: '_acme-challenge.other.test', value: 'x' }, AbortSignal.timeout(5000))).rejects.toThrow(/no zone in this account holds _acme-challenge\.other\.test/);
  });

  it('issues a certificate end to end with the token from CLOUDFLARE_API_TOKEN', async () => {
    const dir = await tempDir();
    const file = await writeConfig(dir, {
      dataDir: join(dir, 'data'),
      acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
      dns: { cf: { type: 'cloudflare', endpoint: cf.url } },
      propagation: { resolvers: [pebble.dnsServer], timeout: '20s', interval: '500ms' },
      certificates: [{ name: 'cf', domains: [zone, `*.${zone}`] }],
    });
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { CLOUDFLARE_API_TOKEN: cf.token } });
    expect(r.code, r.stderr + r.stdout.slice(-1500)).toBe(0);
    expect(readCertificateInfo(await readFile(join(dir, 'data/certs/cf/fullchain.pem'), 'utf8')).names.sort()).toEqual([`*.${zone}`, zone].sort());
    expect([...cf.records.values()].filter((x) => x.name === `_acme-challenge.${zone}`)).toHaveLength(0);
    expect(r.stdout).not.toContain(cf.token);
  });

  it('with zoneId set, writes into that zone without listing zones (DNS Edit alone is enough)', async () => {
    const zoneId = cf.zones.find((z) => z.name === zone)!.id;
    const pinned = make({ zoneId });
    const before = cf.requests.length;
    const rec = { fqdn: `_acme-challenge.pinned.${zone}`, value: 'pinned' };
    await pinned.present(rec, AbortSignal.timeout(5000));
    await pinned.cleanup(rec, AbortSignal.timeout(5000));
    const made = cf.requests.slice(before);
    expect(made.map((r) => r.method)).toEqual(['POST', 'DELETE']);
    expect(made.every((r) => r.path.includes(`/zones/${zoneId}/`))).toBe(true);
  });

  providerContract('cloudflare (API v4 stand-in)', async () => ({
    zone,
    subZone: sub,
    idnZone,
    create: async (o = {}) => make({ retryDelay: '10ms', ...(o.badSecret ? { apiToken: 'wrong-token' } : {}) }),
    values: async (fqdn) => [...cf.records.values()].filter((r) => r.type === 'TXT' && r.name === fqdn).map((r) => r.content),
    zoneOf: (fqdn, value) => {
      const rec = [...cf.records.values()].find((r) => r.name === fqdn && r.content === value);
      return cf.zones.find((z) => z.id === rec?.zoneId)?.name;
    },
    faults: { throttle: (n) => (cf.faults.throttle = n), serverError: (n) => (cf.faults.serverError = n) },
    requests: () => cf.requests.length,
    authMessage: /^cloudflare: listing zones: 9109 Invalid access token; check CLOUDFLARE_API_TOKEN and that it has Zone:DNS:Edit/,
    stop: async () => undefined, // the stand-in is this file's; afterAll above stops it
  }));
});
