import { describe, expect, it } from 'vitest';
import { runCertkeeper } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/scenario.js';

const config = (domains: string[], extra: Record<string, unknown> = {}) => ({
  dns: { hooks: { type: 'exec', command: ['/bin/true'] } },
  certificates: [{ name: 'api', domains }],
  ...extra,
});

describe('CLI errors', () => {
  it('bad names: one line each with the field path, exit 2, no stack trace', async () => {
    const file = await writeConfig(await tempDir(), config(['api.example.com', '1.2.3.4', 'localhost', '*.*.example.com']));
    for (const args of [['config', 'check'], ['renew', '--now']]) {
      const r = await runCertkeeper([...args, '--config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        'certkeeper: config: certificates[0].domains[1]: "1.2.3.4" is an IP address; DNS-01 certificates are for domain names only',
        'certkeeper: config: certificates[0].domains[2]: "localhost" is a single label; give a fully qualified name such as localhost.example.com',
        'certkeeper: config: certificates[0].domains[3]: "*.*.example.com" has "*" in the wrong place; a wildcard must be the whole left-most label, as in *.example.com',
      ]);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('a missing environment variable is named, exit 2', async () => {
    const file = await writeConfig(await tempDir(), config(['api.example.com'], { acme: { email: '${CK_TEST_UNSET_MAIL}' } }));
    const r = await runCertkeeper(['config', 'check', '--config', file], { env: { CK_TEST_UNSET_MAIL: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('certkeeper: config: acme.email: environment variable CK_TEST_UNSET_MAIL is not set; set it, or write ${CK_TEST_UNSET_MAIL:-default}\n');
  });

  it('a valid file prints ok; config lookup honours CERTKEEPER_CONFIG', async () => {
    const file = await writeConfig(await tempDir(), config(['api.example.com']));
    const r = await runCertkeeper(['config', 'check'], { env: { CERTKEEPER_CONFIG: file }, cwd: '/' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: /);
  });

  it('no config anywhere and unknown options are usage errors (exit 2)', async () => {
    const dir = await tempDir();
    const r = await runCertkeeper(['status'], { cwd: dir, env: { CERTKEEPER_CONFIG: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no configuration file found/);
    expect((await runCertkeeper(['renew', '--bogus'])).code).toBe(2);
    expect((await runCertkeeper(['renew', '--only', 'nope', '--config', await writeConfig(dir, config(['a.example.com']))])).stderr).toMatch(/--only nope: no such certificate/);
  });
});
