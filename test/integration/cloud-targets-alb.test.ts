import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig, type Config } from '../../src/config/load.js';
import { CertificateStore } from '../../src/store/certs.js';
import { openDeployer } from '../../src/targets/deployer.js';
import { startAliyunCloudFake, type AliyunCloudFake } from '../fakes/aliyun-cloud.js';
import { leafMaker, servedSerial } from '../fakes/test-certs.js';

delete process.env.http_proxy;

const silent = pino({ level: process.env.TEST_LOG ?? 'silent' }, pino.destination(2));
const NAMES = ['shop.example.com', 'api.example.com'];
const SECRET = 'alb-secret-value';

/**
 * The aliyun-alb target against the ALB and CAS stand-ins: one listener takes the certificate as its
 * default, another as an additional certificate beside someone else's; a renewal replaces both and
 * deletes the previous upload; a listener busy with another change is waited for; a lost answer is
 * retried without a second job (ClientToken); a refused key fails with one line.
 */
describe('aliyun-alb deploy target', () => {
  let fake: AliyunCloudFake;
  let make: Awaited<ReturnType<typeof leafMaker>>;
  let config: Config;
  let store: CertificateStore;
  let deployer: Awaited<ReturnType<typeof openDeployer>>;
  let otherCas: string;
  let otherSerial: string;

  const storeIssued = async (base: string) => {
    const pair = await make(NAMES, base);
    await store.save('shop', pair.cert, pair.key, { domains: NAMES, keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    return pair;
  };
  const deploy = async (d = deployer, c = config) => {
    const read = await store.read('shop');
    if (read.state !== 'ok') throw new Error('not stored');
    return (await d.deploy([{ cert: c.certificates[0]!, stored: read.cert }]))[0]!.targets[0]!;
  };
  const served = async () => ({
    main: await servedSerial(fake.albListenerPort('lsn-main'), 'shop.example.com'),
    sni: await servedSerial(fake.albListenerPort('lsn-sni'), 'api.example.com'),
    other: await servedSerial(fake.albListenerPort('lsn-sni'), 'other.example.com'),
  });
  const additional = () => [...fake.albListeners.find((l) => l.id === 'lsn-sni')!.additional.keys()].sort();
  const writes = () => fake.calls.filter((c) => !/:(Describe|Get|List)/.test(c));
  const yaml = (dir: string, extra = '') => `dataDir: ${dir}
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
certificates:
  - name: shop
    domains: [${NAMES.join(', ')}]
    targets:
      - type: aliyun-alb
        region: cn-hangzhou
        listeners: [{ id: lsn-main }, { id: lsn-sni, as: additional }]
        accessKeyId: LTAIalbtest
        retryDelay: 10ms
        endpoints: { cas: "${fake.endpoints.cas}", alb: "${fake.endpoints.alb}" }
${extra}`;

  beforeAll(async () => {
    make = await leafMaker();
    fake = await startAliyunCloudFake({ accessKeyId: 'LTAIalbtest', accessKeySecret: SECRET, albListeners: [{ id: 'lsn-main' }, { id: 'lsn-sni' }] });
    fake.faults.taskDelayMs = 50;
    // Someone else's additional certificate on the SNI listener, which certkeeper must leave alone.
    const other = await make(['other.example.com'], 'other');
    otherCas = String(fake.casCertificates.size + 1);
    otherSerial = other.serial;
    fake.casCertificates.set(otherCas, { id: otherCas, name: 'by-hand', cert: other.cert, key: other.key, uploadedAt: 0, fingerprint: '', serial: other.serial, commonName: 'other.example.com', sans: ['other.example.com'], notBefore: new Date(0), notAfter: new Date(8.64e15) });
    fake.bindAlbNow('lsn-sni', otherCas, 'additional');
    const dir = await mkdtemp(join(tmpdir(), 'ck-alb-'));
    const env = { ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET };
    config = await parseConfig(yaml(dir), join(dir, 'certkeeper.yaml'), env);
    store = new CertificateStore(config.dataDir);
    deployer = await openDeployer(config, silent, { env });
  });
  afterAll(() => fake?.stop());

  it('binds the default and an additional certificate, each after its job; the same serial again writes nothing', async () => {
    const pair = await storeIssued('first');
    const t = await deploy();
    expect([t.ok, t.error]).toEqual([true, undefined]);
    const casId = [...fake.casCertificates.values()].find((c) => c.serial === pair.serial.toLowerCase())!.id;
    expect(t.bound).toEqual(['alb lsn-main default (cn-hangzhou): bound', 'alb lsn-sni additional (cn-hangzhou): bound']);
    expect(fake.albListeners.find((l) => l.id === 'lsn-main')!.defaultCert).toBe(`${casId}-cn-hangzhou`);
    expect(additional()).toEqual([`${casId}-cn-hangzhou`, `${otherCas}-cn-hangzhou`].sort());
    expect(await served()).toMatchObject({ main: pair.serial, sni: pair.serial });

    const before = writes().length;
    const again = await deploy();
    expect([again.ok, again.changed]).toEqual([true, false]);
    expect(writes().slice(before)).toEqual([]);
  });

  it('a renewal replaces both bindings, dissociates only the previous upload and deletes it from CAS', async () => {
    const oldIds = [...fake.casCertificates.keys()].filter((id) => id !== otherCas);
    const pair = await storeIssued('second');
    const t = await deploy();
    expect([t.ok, t.error]).toEqual([true, undefined]);
    const casId = [...fake.casCertificates.values()].find((c) => c.serial === pair.serial.toLowerCase())!.id;
    expect(additional()).toEqual([`${casId}-cn-hangzhou`, `${otherCas}-cn-hangzhou`].sort());
    expect(t.bound?.[1]).toBe(`alb lsn-sni additional (cn-hangzhou): bound (dissociated ${oldIds[0]}-cn-hangzhou)`);
    expect(await served()).toEqual({ main: pair.serial, sni: pair.serial, other: otherSerial });
    expect(t.removed).toEqual([`deleted ${oldIds[0]}`]);
    expect(fake.casCertificates.has(oldIds[0]!)).toBe(false);
    expect(fake.casCertificates.has(otherCas)).toBe(true);
  });

  it('waits for a listener busy with another change, and a lost answer starts no second job', async () => {
    const pair = await storeIssued('third');
    // A change made in the console keeps lsn-main Configuring until the test ends it.
    const l = fake.albListeners.find((x) => x.id === 'lsn-main')!;
    l.status = 'Configuring';
    fake.albFaults.loseAnswers = 1;
    const jobs = fake.albJobs();
    const running = deploy();
    await vi.waitFor(() => expect(fake.albBusyRefusals()).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    l.status = 'Running';
    const t = await running;
    expect([t.ok, t.error]).toEqual([true, undefined]);
    // One job per listener change: the update of lsn-main (its lost answer retried with the same ClientToken),
    // the association and the dissociation on lsn-sni.
    expect(fake.albJobs() - jobs).toBe(3);
    expect(await served()).toMatchObject({ main: pair.serial, sni: pair.serial });
  });

  it('a refused key fails the target with one line naming the resource and what to check; what is served stays', async () => {
    const before = await served();
    const dir = await mkdtemp(join(tmpdir(), 'ck-alb-bad-'));
    const env = { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret' };
    const bad = await parseConfig(yaml(dir), join(dir, 'certkeeper.yaml'), env);
    const badDeployer = await openDeployer(bad, silent, { env });
    await storeIssued('fourth');
    const t = await deploy(badDeployer, bad);
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/^cas: UploadUserCertificate refused: SignatureDoesNotMatch; check the AccessKey .*policy of this target/);
    expect(t.error).not.toContain('\n');
    expect(t.error).not.toContain('not-the-secret');
    expect(await served()).toEqual(before);
  });

  it('a job that fails ends the target with one line naming the listener and the job; the listener keeps serving the previous certificate', async () => {
    const before = await served();
    await storeIssued('fifth');
    fake.faults.taskFailures = 1;
    const t = await deploy();
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/^alb lsn-main default \(cn-hangzhou\): the ALB job \S+ \(UpdateListenerAttribute\) failed: InternalError: .*; the listener keeps its previous certificate$/);
    expect(await served()).toEqual(before);
  });
});
