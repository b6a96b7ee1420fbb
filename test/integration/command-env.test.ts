import { parseOptions } from '../../src/config/option-zod.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { descriptor } from '../../providers/exec.js';
import { silentLogger } from '../contract/provider-contract.js';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { deployConfig, storeLeaf } from '../harness/deploy.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa } from '../harness/tls.js';

const ENV_DUMP = join(REPO, 'test/fixtures/env-dump.mjs');
/** What a daemon's environment holds in the field: the credentials of its DNS providers, CA and channels. */
const SECRETS = {
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'ali-secret',
  TENCENTCLOUD_SECRET_KEY: 'tc-secret',
  CLOUDFLARE_API_TOKEN: 'cf-token',
  EAB_HMAC_KEY: 'eab-key',
};

describe("the daemon's secrets stay out of deploy commands", () => {
  let dir: string;
  const dumps = () => Object.fromEntries(['pre', 'post', 'test', 'reload'].map((s) => [s, join(dir, `${s}.json`)]));
  const read = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
  });

  it('preDeploy, postDeploy, test and reload see the minimal environment, CERTKEEPER_* and their own passEnv only', async () => {
    const domain = uniqueDomain('env');
    const d = dumps();
    const { file, config } = await deployConfig(dir, {
      deploy: { web: { test: [process.execPath, ENV_DUMP, d.test], reload: [process.execPath, ENV_DUMP, d.reload], passEnv: ['RELOAD_TOKEN'] } },
      certificates: [
        {
          name: 'site',
          domains: [domain],
          targets: [{ layout: 'nginx', dir: join(dir, 'ssl'), preDeploy: [process.execPath, ENV_DUMP, d.pre], postDeploy: [process.execPath, ENV_DUMP, d.post], passEnv: ['HOOK_TOKEN'] }],
        },
      ],
    });
    await storeLeaf(config.dataDir, 'site', await makeCa(dir, 'env CA'), [domain], 'env');
    const r = await runCertkeeper(['deploy', '--config', file], { env: { ...SECRETS, HOOK_TOKEN: 'for-hooks', RELOAD_TOKEN: 'for-reload', TZ: 'Asia/Shanghai' } });
    expect(r.stderr).toMatch(/site\s+deployed/);
    for (const [stage, f] of Object.entries(d)) {
      const env = await read(f);
      for (const name of Object.keys(SECRETS)) expect(env[name], `${stage} got ${name}`).toBeUndefined();
      expect(env).toMatchObject({ PATH: process.env.PATH, TZ: 'Asia/Shanghai', LANG: 'C.UTF-8' });
      const hook = stage === 'pre' || stage === 'post';
      expect(env.HOOK_TOKEN).toBe(hook ? 'for-hooks' : undefined);
      expect(env.RELOAD_TOKEN).toBe(hook ? undefined : 'for-reload');
      if (hook) expect(env).toMatchObject({ CERTKEEPER_NAME: 'site', CERTKEEPER_STAGE: stage, CERTKEEPER_FILE_KEY: join(dir, 'ssl/privkey.pem') });
      // Nothing else leaks: every variable is from the minimal set, the passEnv list or certkeeper's own.
      const allowed = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'DOCKER_HOST', 'CERTKEEPER_CONFIG', 'HOOK_TOKEN', 'RELOAD_TOKEN'];
      expect(Object.keys(env).filter((k) => !allowed.includes(k) && !k.startsWith('CERTKEEPER_'))).toEqual([]);
    }
  });

  it('the exec DNS provider keeps the whole environment (its credentials live there) unless passEnv narrows it', async () => {
    const env = { ...process.env, ...SECRETS, DNS_API_TOKEN: 'dns' };
    const dump = join(dir, 'exec.json');
    const record = { fqdn: `_acme-challenge.${uniqueDomain('exec')}`, value: 'v' };
    const call = async (opts: Record<string, unknown>) => {
      const p = await descriptor.create(parseOptions(descriptor.options, { command: [process.execPath, ENV_DUMP, dump], ...opts }), { logger: silentLogger, env, baseDir: dir });
      await p.present(record, new AbortController().signal);
      return read(dump);
    };
    expect(await call({})).toMatchObject({ ...SECRETS, DNS_API_TOKEN: 'dns', CERTKEEPER_ACTION: 'present', CERTKEEPER_FQDN: record.fqdn });
    const narrowed = await call({ passEnv: ['DNS_API_TOKEN'] });
    expect(narrowed).toMatchObject({ DNS_API_TOKEN: 'dns', CERTKEEPER_VALUE: 'v', PATH: process.env.PATH });
    for (const name of Object.keys(SECRETS)) expect(narrowed[name]).toBeUndefined();
  });
});
