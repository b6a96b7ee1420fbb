import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readCertificateInfo } from '../../src/store/x509.js';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { startAlidnsFake } from '../fakes/alidns.js';
import { startDnspodFake } from '../fakes/dnspod.js';
import type { FakeRecord, Faults } from '../fakes/common.js';
import { runCertkeeper } from '../harness/cli.js';
import { pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');

interface Fake {
  url: string;
  records: Map<string, FakeRecord>;
  faults: Faults;
  calls: string[];
  requests: number;
  stop(): Promise<void>;
}

interface Case {
  type: 'alidns' | 'tencentcloud';
  start(zone: string): Promise<Fake>;
  env(good: boolean): NodeJS.ProcessEnv;
  authLine: RegExp;
  create: string;
  remove: string;
}

const cases: Case[] = [
  {
    type: 'alidns',
    start: (zone) => startAlidnsFake({ accessKeyId: 'LTAI5tE2eKey', accessKeySecret: 'e2e-secret', zones: [zone], challtestsrvUrl: pebble.challtestsrvUrl }),
    env: (good) => ({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tE2eKey', ALIBABA_CLOUD_ACCESS_KEY_SECRET: good ? 'e2e-secret' : 'not-the-secret' }),
    authLine: /alidns: DescribeDomains refused: SignatureDoesNotMatch; check ALIBABA_CLOUD_ACCESS_KEY_ID \/ ALIBABA_CLOUD_ACCESS_KEY_SECRET/,
    create: 'AddDomainRecord',
    remove: 'DeleteDomainRecord',
  },
  {
    type: 'tencentcloud',
    start: (zone) => startDnspodFake({ secretId: 'AKIDe2e', secretKey: 'e2e-key', zones: [zone], challtestsrvUrl: pebble.challtestsrvUrl }),
    env: (good) => ({ TENCENTCLOUD_SECRET_ID: 'AKIDe2e', TENCENTCLOUD_SECRET_KEY: good ? 'e2e-key' : 'not-the-key' }),
    authLine: /tencentcloud: DescribeDomainList refused: AuthFailure\.SignatureFailure; check TENCENTCLOUD_SECRET_ID \/ TENCENTCLOUD_SECRET_KEY/,
    create: 'CreateTXTRecord',
    remove: 'DeleteRecord',
  },
];

// The Tencent SDK would route through a proxy from the environment; certkeeper pins an agent, and the
// test makes sure no proxy is in play either way.
const noProxy = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };

describe.each(cases)('$type end to end: certkeeper CLI → real SDK → stand-in → DNS → Pebble', (c) => {
  let fake: Fake;
  let dir: string;
  let configFile: string;
  const domain = uniqueDomain(c.type === 'alidns' ? 'ali' : 'tc');

  beforeAll(async () => {
    fake = await c.start(domain);
    dir = await tempDir();
    const base = pebbleConfig(pebble, join(dir, 'data'));
    configFile = await writeConfig(dir, {
      ...base,
      dns: { cloud: { type: c.type, endpoint: fake.url, retryDelay: '50ms' } },
      certificates: [{ name: 'site', domains: [domain, `*.${domain}`] }],
    });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const challengeValues = async () => (await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`, { timeoutMs: 2000 })).values;

  it('dns test writes, sees and removes a TXT record, step by step', async () => {
    const r = await runCertkeeper(['dns', 'test', 'cloud', '--config', configFile], { env: { ...c.env(true), ...noProxy } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`ok +find the zone in the account: ${domain.replace(/\./g, '\\.')}`));
    expect(r.stdout).toMatch(/ok +create TXT record/);
    expect(r.stdout).toMatch(/ok +wait until 127\.0\.0\.1:\d+ serve it/);
    expect(r.stdout).toMatch(/ok +remove TXT record/);
    expect(r.stdout).toMatch(/dns test passed/);
    expect(fake.calls).toContain(c.create);
    expect(fake.calls).toContain(c.remove);
    expect(fake.records.size).toBe(0);
  });

  it('issues one certificate for the name and its wildcard, leaving no TXT record behind', async () => {
    fake.faults.throttle = 1; // the first call is throttled: the run must ride it out
    const r = await runCertkeeper(['renew', '--now', '--config', configFile], { env: { ...c.env(true), ...noProxy } });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    const info = readCertificateInfo(await readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8'));
    expect(info.names.sort()).toEqual([domain, `*.${domain}`].sort());
    // Both values lived at one name at once (apex + wildcard), and both were deleted by id.
    expect(fake.calls.filter((a) => a === c.create).length).toBeGreaterThanOrEqual(3);
    expect(fake.records.size).toBe(0);
    expect(await challengeValues()).toEqual([]);
    expect(r.stdout).not.toMatch(/e2e-(secret|key)/);
  });

  it('a wrong secret: one documented line, exit 1, and no retry storm', async () => {
    const before = fake.requests;
    const r = await runCertkeeper(['renew', '--now', '--force', '--config', configFile], { env: { ...c.env(false), ...noProxy } });
    expect(r.code).toBe(1);
    const failed = r.stderr.split('\n').filter((l) => l.includes('FAILED'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(c.authLine);
    expect(failed[0]).toMatch(/FAILED \(issue\): .*(DNS-only policy|DNSPod-only policy)/);
    // One zone listing for the presents, at most one per cleanup attempt: bounded, no retries.
    expect(fake.requests - before).toBeGreaterThanOrEqual(1);
    expect(fake.requests - before).toBeLessThanOrEqual(3);
    expect(r.stdout + r.stderr).not.toMatch(/not-the-(secret|key)|Signature=|AccessKeyId=/);

    const t = await runCertkeeper(['dns', 'test', 'cloud', '--config', configFile], { env: { ...c.env(false), ...noProxy } });
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/FAIL +find the zone in the account/);
    expect(t.stdout).toMatch(c.authLine);
    expect(t.stdout).toMatch(/dns test FAILED/);
  });
});
