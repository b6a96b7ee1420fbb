import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { configInChild } from '../../src/scheduler/config-process.js';
import { CLI } from '../harness/cli.js';

// What `certkeeper run` gets from its daemon-config process must be what parsing in its own process gave.
describe('the daemon’s configuration, parsed in a process of its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ck-config-process-'));
  const file = join(dir, 'certkeeper.yaml');
  await writeFile(file, '');
  const env = { ...process.env, CK_TEST_SECRET: 'abcdefghijkl' };
  const parse = configInChild({ entry: CLI, args: ['daemon-config', '--config', file], env });

  it('comes back equal, a Buffer (the store key) and every date included', async () => {
    const text = [
      `dataDir: ${join(dir, 'data')}`,
      'acme: { email: ops@example.com }',
      'store: { type: postgres, url: "postgres://u:secretpw@127.0.0.1/db", encryptionKey: ' + randomBytes(32).toString('base64') + ' }',
      'dns: { ali: { type: alidns, accessKeyId: abcdefgh, accessKeySecret: "${CK_TEST_SECRET}" } }',
      'server: { listen: "127.0.0.1:9464", dashboard: true }',
      'certificates:',
      `  - { name: site, domains: [example.com, "*.example.com"], dns: ali, files: { cert: ${join(dir, 'site.crt')}, key: ${join(dir, 'site.key')} } }`,
    ].join('\n');
    const here = await parseConfig(text, file, env);
    const there = await parse(text);
    expect(there).toStrictEqual(here);
    expect(Buffer.isBuffer(there.store.type === 'postgres' && there.store.encryptionKey)).toBe(true);
  });

  it('refuses what the parser refuses, with the same issues', async () => {
    const text = 'acme: { email: ops@example.com }\nrenew: { concurrency: -3 }\nfoo: 1\ncertificates: [{ name: x, domains: ["exa mple.com"], files: { cert: /tmp/x.crt, key: /tmp/x.key } }]\n';
    const here = await parseConfig(text, file, env).catch((e: unknown) => e);
    const there = await parse(text).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(ConfigError);
    expect(there).toBeInstanceOf(ConfigError);
    expect((there as ConfigError).issues).toStrictEqual((here as ConfigError).issues);
    expect((there as ConfigError).message).toBe((here as ConfigError).message);
  });

  it('without a text, reports the file the way loadConfig does', async () => {
    const gone = configInChild({ entry: CLI, args: ['daemon-config', '--config', join(dir, 'missing.yaml')], env });
    await expect(gone(undefined)).rejects.toThrow(/missing\.yaml: cannot read the configuration file/);
  });
});
