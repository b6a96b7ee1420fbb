import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/load.js';
import { CertificateStore } from '../../src/store/certs.js';
import { TargetRecordFile } from '../../src/store/targets.js';
import { openDeployer } from '../../src/targets/deployer.js';
import { startTencentCloudFake, type TencentCloudFake } from '../fakes/tencent-cloud.js';
import { leafMaker, servedSerial } from '../fakes/test-certs.js';
import { runCertkeeper } from '../harness/cli.js';
import { hookEnv, pebbleConfig, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { readCertificateInfo } from '../../src/store/x509.js';

delete process.env.http_proxy;

const silent = pino({ level: 'silent' });
const KEY = { TENCENTCLOUD_SECRET_ID: 'AKIDcertkeeper', TENCENTCLOUD_SECRET_KEY: 'tencent-secret' };
const NAMES = ['api.example.com', 'cdn.example.com', 'sso.example.com'];

/**
 * The three Tencent Cloud targets against the signing, stateful stand-in: each binds, the stand-in's
 * TLS endpoints serve the new certificate, the same serial twice writes nothing, a renewal moves
 * every binding and deletes the previous upload, throttling is retried, a failing target fails alone
 * with one line naming the resource and the vendor code, and `status` shows each target's result.
 */
describe('Tencent Cloud deploy targets', () => {
  let fake: TencentCloudFake;
  let make: Awaited<ReturnType<typeof leafMaker>>;
  let dir: string;
  let configFile: string;
  let config: Config;
  let store: CertificateStore;
  let handUploaded: string;

  const yaml = (extra = '') => `
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
certificates:
  - name: site
    domains: [${NAMES.join(', ')}]
    targets:
      - { layout: pem, dir: ${dir}/files }
      - type: tencentcloud-clb
        region: ap-guangzhou
        loadBalancerId: lb-web
        listeners: [{ id: lbl-plain }, { id: lbl-sni, domain: api.example.com }]
        retryDelay: 10ms
        endpoints: { ssl: "http://${fake.endpoints.ssl}", clb: "http://${fake.endpoints.clb}" }
      - type: tencentcloud-cdn
        domains: [cdn.example.com]
        retryDelay: 10ms
        endpoints: { ssl: "http://${fake.endpoints.ssl}", cdn: "http://${fake.endpoints.cdn}" }
      - type: tencentcloud-ssl
        resourceTypes: [clb]
        regions: [ap-guangzhou]
        oldCertificateId: ${handUploaded}
        retryDelay: 10ms
        endpoints: { ssl: "http://${fake.endpoints.ssl}" }
${extra}`;

  const storeIssued = async (base: string) => {
    const pair = await make(NAMES, base);
    const stored = await store.save('site', pair.cert, pair.key, { domains: NAMES, keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    return { pair, stored };
  };
  const deploy = async (cfg = config) => {
    const deployer = await openDeployer(cfg, silent, { env: KEY });
    const read = await store.read('site');
    if (read.state !== 'ok') throw new Error('not stored');
    return (await deployer.deploy([{ cert: cfg.certificates[0]!, stored: read.cert }]))[0]!;
  };
  const served = async () => ({
    plain: await servedSerial(fake.listenerPort('lb-web', 'lbl-plain'), 'x.example.com'),
    sni: await servedSerial(fake.listenerPort('lb-web', 'lbl-sni'), 'api.example.com'),
    cdn: await servedSerial(fake.cdnPort, 'cdn.example.com'),
    ssl: await servedSerial(fake.listenerPort('lb-sso', 'lbl-sso'), 'sso.example.com'),
  });
  const writes = () => fake.calls.filter((c) => !/:(Describe|Get|List)/.test(c));

  beforeAll(async () => {
    make = await leafMaker();
    dir = await mkdtemp(join(tmpdir(), 'ck-tencent-targets-'));
    fake = await startTencentCloudFake({
      secretId: KEY.TENCENTCLOUD_SECRET_ID,
      secretKey: KEY.TENCENTCLOUD_SECRET_KEY,
      loadBalancers: [
        { id: 'lb-web', region: 'ap-guangzhou', listeners: [{ id: 'lbl-plain' }, { id: 'lbl-sni', sni: true, domains: ['api.example.com'] }] },
        { id: 'lb-sso', region: 'ap-guangzhou', listeners: [{ id: 'lbl-sso' }] },
      ],
      cdnDomains: ['cdn.example.com'],
    });
    fake.faults.taskDelayMs = 100;
    // The tencentcloud-ssl target takes over from a certificate uploaded by hand in the console.
    handUploaded = fake.seedCertificate(await make(NAMES, 'by-hand'), 'by-hand');
    fake.bindNow({ clb: { lb: 'lb-sso', listener: 'lbl-sso' } }, handUploaded);
    configFile = join(dir, 'certkeeper.yaml');
    await writeFile(configFile, `dataDir: ${dir}/data\n${yaml()}`);
    config = await parseConfig(await readFile(configFile, 'utf8'), configFile, KEY);
    store = new CertificateStore(config.dataDir);
  });
  afterAll(() => fake?.stop());

  it('first deploy binds every place and each serves the certificate; the same serial again writes nothing', async () => {
    const { pair } = await storeIssued('first');
    const o = await deploy();
    expect(o.targets.map((t) => [t.id, t.ok, t.error])).toEqual([
      ['site#0', true, undefined],
      ['site#tencentcloud-clb', true, undefined],
      ['site#tencentcloud-cdn', true, undefined],
      ['site#tencentcloud-ssl', true, undefined],
    ]);
    expect(o.ok).toBe(true);
    expect(await served()).toEqual({ plain: pair.serial, sni: pair.serial, cdn: pair.serial, ssl: pair.serial });
    expect(o.targets.find((t) => t.id === 'site#tencentcloud-clb')!.bound).toEqual([
      'clb lb-web/lbl-plain (ap-guangzhou): bound',
      'clb lb-web/lbl-sni api.example.com (ap-guangzhou): bound',
    ]);
    // One upload shared by the three targets (Repeatable: false answers the identical certificate's id).
    expect(writes().filter((c) => c === 'ssl:UploadCertificate')).toHaveLength(3);
    expect(fake.certificates.size).toBe(2);
    // A hand-uploaded certificate is not certkeeper's to delete.
    expect(fake.certificates.has(handUploaded)).toBe(true);

    const before = writes().length;
    const again = await deploy();
    expect(again.ok).toBe(true);
    expect(again.targets.filter((t) => t.changed)).toEqual([]);
    expect(writes().slice(before)).toEqual([]);
    expect(await served()).toEqual({ plain: pair.serial, sni: pair.serial, cdn: pair.serial, ssl: pair.serial });
  });

  it('a renewal moves every binding to the new upload through throttling, and deletes the previous upload', async () => {
    const records = await TargetRecordFile.open(config.dataDir);
    const previous = (await records.get('site', 'site#tencentcloud-clb'))!.current!;
    const { pair } = await storeIssued('second');
    fake.faults.throttle = 3;
    const o = await deploy();
    expect(o.targets.filter((t) => !t.ok)).toEqual([]);
    expect(fake.faults.throttle).toBe(0);
    expect(await served()).toEqual({ plain: pair.serial, sni: pair.serial, cdn: pair.serial, ssl: pair.serial });
    expect(o.targets.find((t) => t.id === 'site#tencentcloud-ssl')!.bound).toEqual([`clb lb-sso/lbl-sso (ap-guangzhou): moved from ${previous}`]);
    // The targets share the upload: each kept it while a later one's resource still used it; the last one deleted it.
    expect(o.targets.map((t) => t.removed ?? [])).toEqual([[], [`kept ${previous} (still in use)`], [`kept ${previous} (still in use)`], [`deleted ${previous}`]]);
    expect(fake.certificates.has(previous)).toBe(false);
  });

  it('a failing target fails alone, in one line naming the resource and the vendor code; deploy and status show it', async () => {
    const broken = `      - type: tencentcloud-clb
        name: other-lb
        region: ap-shanghai
        loadBalancerId: lb-web
        listeners: [{ id: lbl-plain }]
        retryDelay: 10ms
        endpoints: { ssl: "http://${fake.endpoints.ssl}", clb: "http://${fake.endpoints.clb}" }
`;
    await writeFile(configFile, `dataDir: ${dir}/data\n${yaml(broken)}`);
    const { pair } = await storeIssued('third');
    const env = { ...KEY };
    const run = await runCertkeeper(['--log-level', 'silent', 'deploy', '--config', configFile], { env });
    expect(run.code).not.toBe(0);
    const line = run.stderr.split('\n').find((l) => l.startsWith('site '));
    expect(line).toMatch(/^site +FAILED: site#other-lb: clb lb-web \(ap-shanghai\): DescribeListeners failed: InvalidParameter\.LBIdNotFound: /);
    expect(run.stdout + run.stderr).not.toContain('    at ');
    // Everything else of the certificate went out.
    expect(await servedSerial(fake.listenerPort('lb-web', 'lbl-plain'), 'x.example.com')).toBe(pair.serial);
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(pair.serial);
    expect(await readFile(join(dir, 'files', 'fullchain.pem'), 'utf8')).toBe(pair.cert);

    const status = await runCertkeeper(['--log-level', 'silent', 'status', '--config', configFile], { env });
    expect(status.code).toBe(0);
    const row = (id: string) => status.stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? '';
    expect(row('site#tencentcloud-cdn')).toMatch(/ ok +cdn cdn\.example\.com: bound/);
    expect(row('site#other-lb')).toMatch(/ FAILED +clb lb-web \(ap-shanghai\): DescribeListeners failed: InvalidParameter\.LBIdNotFound/);
  });

  it('the next pass retries only what is out of place: the failed cloud target, not the files in place', async () => {
    const cfg = await parseConfig(await readFile(configFile, 'utf8'), configFile, KEY);
    const deployer = await openDeployer(cfg, silent, { env: KEY });
    const read = await store.read('site');
    if (read.state !== 'ok') throw new Error('not stored');
    const item = { cert: cfg.certificates[0]!, stored: read.cert };
    const before = (await stat(join(dir, 'files', 'fullchain.pem'))).mtimeMs;
    expect(await deployer.matches(item.cert, item.stored)).toBe(false);
    const [o] = await deployer.deploy([item]);
    expect(o!.targets.map((t) => [t.id, t.ok])).toEqual([
      ['site#tencentcloud-clb', true],
      ['site#tencentcloud-cdn', true],
      ['site#tencentcloud-ssl', true],
      ['site#other-lb', false],
    ]);
    expect((await stat(join(dir, 'files', 'fullchain.pem'))).mtimeMs).toBe(before);
  });

  it('a renewal pushes to the cloud target: renew --now issues at Pebble, the CDN serves it, the previous upload is deleted', async () => {
    const pebble = inject('pebble');
    const domain = uniqueDomain('cdn');
    const edgeDir = join(dir, 'renewal');
    const file = await writeConfig(edgeDir, {
      ...pebbleConfig(pebble, join(edgeDir, 'data')),
      certificates: [
        {
          name: 'edge',
          domains: [domain],
          targets: [{ type: 'tencentcloud-cdn', domains: ['cdn.example.com'], retryDelay: '10ms', endpoints: { ssl: `http://${fake.endpoints.ssl}`, cdn: `http://${fake.endpoints.cdn}` } }],
        },
      ],
    });
    const env = { ...KEY, ...hookEnv(pebble) };
    const servedNow = async () => (readCertificateInfo(await readFile(join(edgeDir, 'data/certs/edge/fullchain.pem'), 'utf8'))).serial.toUpperCase();

    const first = await runCertkeeper(['renew', '--now', '--config', file], { env });
    expect(first.stderr).not.toMatch(/FAILED/);
    expect(first.code).toBe(0);
    const issued = await servedNow();
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(issued);
    const firstUpload = fake.boundCertificate({ cdn: 'cdn.example.com' })!;

    const again = await runCertkeeper(['renew', '--now', '--force', '--config', file], { env });
    expect(again.stderr).not.toMatch(/FAILED/);
    expect(again.code).toBe(0);
    const renewed = await servedNow();
    expect(renewed).not.toBe(issued);
    expect(await servedSerial(fake.cdnPort, 'cdn.example.com')).toBe(renewed);
    expect(fake.certificates.has(firstUpload)).toBe(false);
  });
});
