import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/load.js';
import { CertificateStore } from '../../src/store/certs.js';
import { openDeployer } from '../../src/targets/deployer.js';
import { startAliyunCloudFake, type AliyunCloudFake } from '../fakes/aliyun-cloud.js';
import { startAliyunMetadata, type MetadataStandIn } from '../fakes/metadata.js';
import { leafMaker, servedSerial } from '../fakes/test-certs.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

delete process.env.http_proxy;

const silent = pino({ level: process.env.TEST_LOG ?? 'silent' }, pino.destination(2));
const NAMES = ['shop.example.com', 'api.example.com', 'static.example.com'];
const TTL_MS = 4000;

/**
 * The three Alibaba Cloud targets with no key configured: the ECS RAM role's temporary keys come from
 * the metadata stand-in (hardened mode) and expire after a few seconds of the shared test clock. One
 * deployer keeps working across expiries, a renewal deletes the previous uploads, and a revoked role
 * fails each target with one line.
 */
describe('Alibaba Cloud deploy targets on an ECS RAM role', () => {
  let fake: AliyunCloudFake;
  let ecs: MetadataStandIn;
  let make: Awaited<ReturnType<typeof leafMaker>>;
  let config: Config;
  let store: CertificateStore;
  let skew = 0;
  const now = () => Date.now() + skew;
  let deployer: Awaited<ReturnType<typeof openDeployer>>;

  const storeIssued = async (base: string) => {
    const pair = await make(NAMES, base);
    await store.save('shop', pair.cert, pair.key, { domains: NAMES, keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    return pair;
  };
  const deploy = async () => {
    const read = await store.read('shop');
    if (read.state !== 'ok') throw new Error('not stored');
    return (await deployer.deploy([{ cert: config.certificates[0]!, stored: read.cert }]))[0]!;
  };
  const served = async () => ({
    listener: await servedSerial(fake.listenerPort('lb-bp1', 443), 'shop.example.com'),
    extension: await servedSerial(fake.listenerPort('lb-bp1', 443), 'api.example.com'),
    cdn: await servedSerial(fake.cdnPort, 'static.example.com'),
  });
  const writes = () => fake.calls.filter((c) => !/:(Describe|Get|List)/.test(c));

  beforeAll(async () => {
    make = await leafMaker();
    const credentials = new CredentialStore(now);
    fake = await startAliyunCloudFake({
      credentials,
      now,
      cdnDomains: ['static.example.com'],
      loadBalancers: [{ id: 'lb-bp1', region: 'cn-hangzhou', listeners: [{ port: 443, domainExtensions: [{ id: 'de-api', domain: 'api.example.com' }] }] }],
    });
    fake.faults.taskDelayMs = 100;
    ecs = await startAliyunMetadata({ credentials, role: 'CertkeeperRole', ttlMs: TTL_MS, requireToken: true, now });
    const env = { CERTKEEPER_ECS_METADATA_URL: ecs.url, ALIBABA_CLOUD_IMDSV1_DISABLED: 'true' };
    const dir = await mkdtemp(join(tmpdir(), 'ck-aliyun-targets-'));
    const e = fake.endpoints;
    config = await parseConfig(
      `dataDir: ${dir}
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
certificates:
  - name: shop
    domains: [${NAMES.join(', ')}]
    targets:
      - { type: aliyun-cas, retryDelay: 10ms, endpoints: { cas: "${e.cas}" } }
      - { type: aliyun-cdn, domains: [static.example.com], retryDelay: 10ms, endpoints: { cas: "${e.cas}", cdn: "${e.cdn}" } }
      - type: aliyun-slb
        region: cn-hangzhou
        loadBalancerId: lb-bp1
        listeners: [{ port: 443 }, { port: 443, domain: api.example.com }]
        # SLB answers at once and the listeners switch a moment later: wait until the last one set serves it.
        verify: { address: "127.0.0.1:${fake.listenerPort('lb-bp1', 443)}", servername: api.example.com, timeout: 20s }
        retryDelay: 10ms
        endpoints: { slb: "${e.slb}" }
`,
      join(dir, 'certkeeper.yaml'),
      env,
    );
    store = new CertificateStore(config.dataDir);
    deployer = await openDeployer(config, silent, { env, now: () => new Date(now()) });
  });
  afterAll(async () => {
    await ecs?.stop();
    await fake?.stop();
  });

  it('deploys on role keys from the metadata service (hardened mode); the same serial again writes nothing', async () => {
    const pair = await storeIssued('first');
    const o = await deploy();
    expect(o.targets.map((t) => [t.id, t.ok, t.error])).toEqual([
      ['shop#aliyun-cas', true, undefined],
      ['shop#aliyun-cdn', true, undefined],
      ['shop#aliyun-slb', true, undefined],
    ]);
    expect(await served()).toEqual({ listener: pair.serial, extension: pair.serial, cdn: pair.serial });
    expect(ecs.requests.filter((r) => r.path.includes('security-credentials')).every((r) => r.token)).toBe(true);
    // cas and cdn share the CAS upload (the second finds it by its name).
    expect(fake.casCertificates.size).toBe(1);

    const before = writes().length;
    const again = await deploy();
    expect(again.targets.map((t) => [t.ok, t.changed])).toEqual([[true, false], [true, false], [true, false]]);
    expect(writes().slice(before)).toEqual([]);
  });

  it('keeps working after the temporary keys expired: fetches new ones, and a renewal deletes the previous uploads', async () => {
    const issued = ecs.issued.length;
    const oldCas = [...fake.casCertificates.keys()];
    const oldSlb = [...fake.slbCertificates.keys()];
    skew += TTL_MS + 1000; // every key handed out so far has expired
    const pair = await storeIssued('second');
    const o = await deploy();
    expect(o.targets.filter((t) => !t.ok)).toEqual([]);
    expect(ecs.issued.length).toBeGreaterThan(issued);
    expect(await served()).toEqual({ listener: pair.serial, extension: pair.serial, cdn: pair.serial });
    for (const id of [...oldCas, ...oldSlb]) expect(fake.casCertificates.has(id) || fake.slbCertificates.has(id)).toBe(false);
    expect(fake.casCertificates.size).toBe(1);
    expect(fake.slbCertificates.size).toBe(1);
  });

  it('a revoked role fails each target with one line, and what is served stays', async () => {
    const before = await served();
    ecs.revoke({ invalidateIssued: true });
    skew += TTL_MS + 1000;
    await storeIssued('third');
    const o = await deploy();
    expect(o.ok).toBe(false);
    for (const t of o.targets) {
      expect(t.ok).toBe(false);
      expect(t.error).toMatch(/ECS RAM role.*(no RAM role is attached|not attached to this instance any more).*or configure an AccessKey$/);
      expect(t.error).not.toContain('\n');
    }
    expect(await served()).toEqual(before);
    ecs.restore();
  });
});
