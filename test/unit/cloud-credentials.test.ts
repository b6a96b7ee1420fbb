import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { freshOptions } from '../../src/credentials/files.js';
import { refreshDue, RefreshingKey, type CloudKey } from '../../src/credentials/key.js';
import { tencentKeySource } from '../../src/credentials/tencent.js';
import { ConfigError, CredentialsError } from '../../src/errors.js';
import { targetDescriptor } from '../../src/targets/registry.js';
import { uploadName } from '../../src/targets/steps.js';
import { startTencentMetadata } from '../fakes/metadata.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('refreshDue', () => {
  it('refreshes a 6 h key in its last 15 minutes, a short one in its last third, a long-lived key never', () => {
    const sixHours = { expiresAt: at(6 * 3600) };
    expect(refreshDue(sixHours, at(0), at(5 * 3600))).toBe(false);
    expect(refreshDue(sixHours, at(0), at(6 * 3600 - 15 * 60))).toBe(true);
    const short = { expiresAt: at(30) };
    expect(refreshDue(short, at(0), at(19))).toBe(false);
    expect(refreshDue(short, at(0), at(20))).toBe(true);
    expect(refreshDue({}, at(0), at(1e9))).toBe(false);
  });
});

describe('RefreshingKey', () => {
  const key = (n: number, expires: number): CloudKey => ({ id: `STS.${n}`, secret: 's', token: 't', expiresAt: at(expires) });

  it('shares one fetch, keeps the key until refresh is due, and falls back to it while it still works', async () => {
    let clock = at(0);
    let n = 0;
    let fail = false;
    const k = new RefreshingKey('test role', async () => {
      if (fail) throw new CredentialsError('metadata down', { transient: true });
      n++;
      return key(n, clock.getTime() / 1000 - at(0).getTime() / 1000 + 30);
    }, { now: () => clock });
    const [a, b] = await Promise.all([k.get(), k.get()]);
    expect([a.id, b.id, n]).toEqual(['STS.1', 'STS.1', 1]);
    clock = at(10);
    expect((await k.get()).id).toBe('STS.1');
    clock = at(21);
    expect((await k.get()).id).toBe('STS.2');
    fail = true;
    clock = at(45); // due (expires at 51) but the fetch fails: the current key still works
    expect((await k.get()).id).toBe('STS.2');
    clock = at(52); // expired: the failure is the answer
    await expect(k.get()).rejects.toThrow('metadata down');
  });
});

describe('Tencent CVM role keys from the metadata service', () => {
  it('fetches, refreshes after expiry by the clock, and a detached role is one clear line', async () => {
    let skew = 0;
    const now = () => Date.now() + skew;
    const cvm = await startTencentMetadata({ credentials: new CredentialStore(now), role: 'certkeeper-cvm', ttlMs: 4000, now });
    try {
      const keys = tencentKeySource({}, { env: { CERTKEEPER_CVM_METADATA_URL: cvm.url }, now: () => new Date(now()) });
      expect(keys.temporary).toBe(true);
      const first = await keys.get();
      expect(first.token).toBeTruthy();
      expect(await keys.get()).toBe(first);
      skew += 5000;
      const second = await keys.get();
      expect(second.id).not.toBe(first.id);
      cvm.revoke();
      skew += 5000;
      const err = await keys.get().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect((err as Error).message).toMatch(/^CVM role: no CAM role is bound to this CVM instance \(the metadata service answered 404\); .*configure a SecretId\/SecretKey$/);
    } finally {
      await cvm.stop();
    }
  });
});

describe('cloud targets in the configuration', () => {
  const head = 'dns:\n  hooks: { type: exec, command: ["./hook.sh"] }\ncertificates:\n  - name: site\n    domains: [www.example.com]\n    targets:\n';
  const issues = async (targets: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      await parseConfig(head + targets, '/etc/certkeeper/certkeeper.yaml', env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  };

  it('reports each mistake with its path and what to do', async () => {
    expect(await issues('      - { type: tencentcloud-elb }\n')).toEqual([
      'certificates[0].targets[0].type: unknown target type "tencentcloud-elb"; available: aliyun-alb, aliyun-cas, aliyun-cdn, aliyun-slb, tencentcloud-cdn, tencentcloud-clb, tencentcloud-ssl (or no type: for files in a layout)',
    ]);
    const list = await issues(
      [
        '      - { type: tencentcloud-clb, region: ap-guangzhou, loadBalancerId: lb-1, listeners: [] }',
        '      - { type: tencentcloud-ssl, resourceTypes: [clb, cdn] }',
        '      - { type: aliyun-cdn, domains: [static.example.com], accessKeyId: LTAIxxxx }',
        '      - { type: aliyun-cas }',
        '      - { type: aliyun-cas }',
        '',
      ].join('\n'),
    );
    expect(list).toEqual([
      'certificates[0].targets[0].listeners: list at least one listener',
      'certificates[0].targets[1].regions: clb is regional: list the regions to update, e.g. [ap-guangzhou]',
      'certificates[0].targets[2].accessKeySecret: missing while accessKeyId is set; set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE), or give accessKeySecret in the config',
      'certificates[0].targets[4].name: targets[3] of this certificate is also named "aliyun-cas"; give each target of the same type its own name:',
    ]);
  });

  it('a key from a _FILE is read again for each deploy: a rotated secret needs no restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-cloud-creds-'));
    const file = join(dir, 'secret');
    await writeFile(file, 'first-secret\n');
    const c = await parseConfig(head + '      - { type: aliyun-cas }\n', join(dir, 'certkeeper.yaml'), { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIid', ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE: file });
    const t = c.certificates[0]!.cloudTargets![0]!;
    expect(t.options.accessKeySecret).toBe('first-secret');
    await writeFile(file, 'rotated-secret\n');
    const fresh = await freshOptions(targetDescriptor('aliyun-cas')!.options, t.options, t.fileCredentials);
    expect(fresh).toMatchObject({ options: { accessKeyId: 'LTAIid', accessKeySecret: 'rotated-secret' } });
    await writeFile(file, '');
    expect(await freshOptions(targetDescriptor('aliyun-cas')!.options, t.options, t.fileCredentials)).toEqual({ error: `accessKeySecret: secret file ${file} is empty` });
  });
});

describe('uploadName', () => {
  it('is stable per certificate and tells apart serials that differ only at the end', () => {
    const a = uploadName({ name: 'shop.example.com', serial: '0f56c05773f9ec45f5f4fda15a5050c51f3ef38e' }, 64, /[^A-Za-z0-9_]/g);
    const b = uploadName({ name: 'shop.example.com', serial: '0f56c05773f9ec45f5f4fda15a5050c51f3ef38f' }, 64, /[^A-Za-z0-9_]/g);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^certkeeper_shop_example_com_[0-9a-f]+$/);
  });
});
