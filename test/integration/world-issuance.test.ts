import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../harness/cli.js';
import { waitFor } from '../harness/ports.js';
import { REPO } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/scenario.js';
import { ADDR, rfc2136Entry, startWorld, worldConfig, type World } from '../harness/world/index.js';

/**
 * Issuance in the test world (test/harness/world): zones delegated from a root through a TLD to two
 * nameservers whose AAAA glue goes nowhere, a secondary that lags, Pebble validating through the
 * world's recursive resolver — and no `propagation.resolvers`. Every provider kind must issue an apex
 * + wildcard certificate with no warning and leave no TXT record on either nameserver.
 */
const HOOK = join(REPO, 'test/fixtures/nsupdate-hook.mjs');
const noProxy = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };

describe('issuance in a world like the Internet (IPv4-only host, lagging secondary, no propagation.resolvers)', () => {
  let world: World;
  let dir: string;
  let keyfile: string;

  beforeAll(async () => {
    world = await startWorld([
      { name: 'rfc.test' },
      { name: 'exec.test' },
      { name: 'ali.test' },
      { name: 'tc.test' },
      { name: 'many.test' },
      { name: 'boot.test' },
      { name: 'silent.test' },
      { name: 'cust.test', records: ['_acme-challenge.www IN CNAME www.acme.test.'] },
      { name: 'acme.test' },
    ]);
    dir = await tempDir('ck-world-issue-');
    keyfile = join(dir, 'tsig.key');
    await writeFile(keyfile, `key "${world.key.name}" { algorithm ${world.key.algorithm}; secret "${world.key.secret}"; };\n`, { mode: 0o600 });
  });
  afterAll(async () => world?.stop());

  const tsig = () => ({ RFC2136_TSIG_SECRET: world.key.secret });

  /** Runs one `renew --now` inside the world with these dns entries and certificates. */
  async function renew(name: string, dns: Record<string, unknown>, certificates: Record<string, unknown>[], opts: { env?: NodeJS.ProcessEnv; resolvers?: string[] } = {}) {
    const file = await writeConfig(join(dir, name), { ...worldConfig(world, join(dir, name, 'data')), dns, certificates });
    const r = await world.certkeeper(['renew', '--now', '--config', file], opts);
    const logs = logLines(r.stdout);
    return { r, logs, names: async (cert: string) => new X509Certificate(await readFile(join(dir, name, 'data/certs', cert, 'fullchain.pem'))).subjectAltName };
  }

  /** No TXT value left at `fqdn` on the primary, nor — once it has caught up — on the secondary. */
  async function noTxtLeft(fqdn: string): Promise<void> {
    expect(await world.txt(`${ADDR.ns.ns1}:53`, fqdn)).toEqual([]);
    await waitFor(async () => (await world.txt(`${ADDR.ns.ns2}:53`, fqdn)).length === 0, `the secondary to drop ${fqdn}`);
  }

  const warnings = (logs: Record<string, any>[]) => logs.filter((l) => l.level >= 40).map((l) => `${l.msg} ${l.err ?? ''}`);

  const providers: { kind: string; zone: string; dns: () => Promise<Record<string, unknown>>; env: () => NodeJS.ProcessEnv; left?: () => Promise<number> }[] = [];
  let ali: Awaited<ReturnType<World['standin']>>;
  let tc: Awaited<ReturnType<World['standin']>>;
  providers.push(
    { kind: 'rfc2136', zone: 'rfc.test', dns: async () => ({ bind: rfc2136Entry(world) }), env: tsig },
    {
      kind: 'exec (nsupdate hook)',
      zone: 'exec.test',
      dns: async () => ({ hook: { type: 'exec', command: [process.execPath, HOOK] } }),
      env: () => ({ NSUPDATE_SERVER: ADDR.ns.ns1, NSUPDATE_ZONE: 'exec.test', NSUPDATE_KEYFILE: keyfile }),
    },
    {
      kind: 'alidns stand-in',
      zone: 'ali.test',
      dns: async () => {
        ali = await world.standin('alidns', { id: 'LTAI5tWorld', secret: 'world-secret', zones: ['ali.test'] });
        return { cloud: { type: 'alidns', endpoint: ali.url, retryDelay: '50ms' } };
      },
      env: () => ({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tWorld', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'world-secret' }),
      left: async () => (await ali.state()).records,
    },
    {
      kind: 'tencentcloud stand-in',
      zone: 'tc.test',
      dns: async () => {
        tc = await world.standin('dnspod', { id: 'AKIDworld', secret: 'world-key', zones: ['tc.test'] });
        return { cloud: { type: 'tencentcloud', endpoint: tc.url, retryDelay: '50ms' } };
      },
      env: () => ({ TENCENTCLOUD_SECRET_ID: 'AKIDworld', TENCENTCLOUD_SECRET_KEY: 'world-key', ...noProxy }),
      left: async () => (await tc.state()).records,
    },
  );

  it.each(providers)('$kind issues apex + wildcard, skips the IPv6 glue (no route), warns about nothing, leaves no TXT', async (p) => {
    const { r, logs, names } = await renew(p.zone.split('.')[0]!, await p.dns(), [{ name: 'site', domains: [p.zone, `*.${p.zone}`] }], { env: p.env() });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(await names('site')).toBe(`DNS:${p.zone}, DNS:*.${p.zone}`);
    expect(warnings(logs)).toEqual([]);
    // The unreachable family is noticed once per pass, at the first address tried, and not counted as failing.
    expect(logs.filter((l) => /^IPv6 is unreachable from this host \(ENETUNREACH at 2001:db8:/.test(l.msg))).toHaveLength(1);
    const done = logs.find((l) => l.msg === 'TXT records propagated');
    expect(done?.servers).toEqual({ [`_acme-challenge.${p.zone} @ ns1.dns.test`]: 'ok', [`_acme-challenge.${p.zone} @ ns2.dns.test`]: 'ok' });
    await noTxtLeft(`_acme-challenge.${p.zone}`);
    if (p.left) expect(await p.left()).toBe(0);
  });

  it('with IPv6 black-holed instead (packets vanish), rfc2136 issues again without warnings', async () => {
    await world.ipv6('silent');
    try {
      // A zone of its own: the recursive resolver caches TXT answers, so a name is validated once per world.
      const { r, logs } = await renew('silent', { bind: rfc2136Entry(world) }, [{ name: 'site', domains: ['silent.test', '*.silent.test'] }], { env: tsig() });
      expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
      expect(warnings(logs)).toEqual([]);
      expect(Object.values(logs.find((l) => l.msg === 'TXT records propagated')!.servers)).toEqual(['ok', 'ok']);
      await noTxtLeft('_acme-challenge.silent.test');
    } finally {
      await world.ipv6('unroutable');
    }
  });

  it('with a system resolver that refuses, the CNAME lookup and the check go through propagation.bootstrap', async () => {
    const { r, logs } = await renew('boot', { bind: rfc2136Entry(world) }, [{ name: 'site', domains: ['boot.test', '*.boot.test'] }], { env: tsig(), resolvers: [ADDR.dead] });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(warnings(logs)).toEqual([]);
  });

  it('follows a CNAME asked at the zone\'s own nameservers and writes the TXT in the target zone', async () => {
    const { r, logs, names } = await renew('alias', { bind: rfc2136Entry(world) }, [{ name: 'www', domains: ['www.cust.test'], dns: { 'acme.test': 'bind' } }], { env: tsig() });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(logs.find((l) => l.msg === 'challenge delegated by CNAME alias')).toMatchObject({ name: '_acme-challenge.www.cust.test', target: 'www.acme.test', dns: 'bind' });
    expect(await names('www')).toBe('DNS:www.cust.test');
    expect(warnings(logs)).toEqual([]);
    await noTxtLeft('www.acme.test');
  });

  it('looks each zone up once per pass, however many certificates it holds', async () => {
    const before = (await world.log('recursive')).length;
    const certificates = ['a', 'b', 'c'].map((n) => ({ name: n, domains: [`${n}.many.test`] }));
    const { r } = await renew('many', { bind: rfc2136Entry(world) }, certificates, { env: tsig() });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const asked = (await world.log('recursive')).slice(before);
    expect(asked.match(/query: many\.test IN NS /g)).toHaveLength(1);
    expect(asked.match(/query: ns1\.dns\.test IN A /g)).toHaveLength(1);
  });

  it('never asked the CA\'s resolver about a challenge name (it would cache "no such name")', async () => {
    const log = await world.log('recursive');
    expect(log).toMatch(/query: _acme-challenge\.rfc\.test IN TXT/); // Pebble validating
    expect(log.match(/query: _acme-challenge\.\S+ IN (?!TXT)\S+/g) ?? []).toEqual([]);
  });
});
