import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasNodeCompileCache } from '../../src/cli/compile-cache.js';
import { runCertkeeper } from '../harness/cli.js';

// On Node 20 `status` (like renew and the daemon's pass and configuration processes) runs from its
// CommonJS bundle through V8's code cache; CERTKEEPER_NO_BUNDLE=1 runs the ES modules instead.
describe.skipIf(hasNodeCompileCache)('a command from its bundle with the code cache (Node 20)', () => {
  const base = mkdtempSync(join(tmpdir(), 'ck-bundle-'));
  const config = join(base, 'certkeeper.yaml');
  const bad = join(base, 'bad.yaml');
  const cacheHome = join(base, 'cache');
  const cacheDir = join(cacheHome, 'certkeeper', 'compile');
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ CACHE_DIRECTORY: '', XDG_CACHE_HOME: cacheHome, ...extra });
  const caches = (dir = cacheDir) => readdirSync(dir).filter((f) => f.startsWith('bundle-status-') && f.endsWith('.v8c'));
  let fromModules: Awaited<ReturnType<typeof runCertkeeper>>;

  beforeAll(async () => {
    chmodSync(base, 0o700);
    const yaml = ['acme:', '  directory: https://127.0.0.1:9/dir', 'dns:', '  hooks:', '    type: exec', '    command: [/bin/false]', 'certificates:', '  - name: c0', '    domains: [c0.example.com]'];
    writeFileSync(config, [`dataDir: ${join(base, 'data')}`, ...yaml].join('\n'));
    writeFileSync(bad, [`dataDir: ${join(base, 'data')}`, ...yaml.slice(0, -2), '  - name: c0', '    domains: 5'].join('\n'));
    fromModules = await runCertkeeper(['status', '--config', config], { env: env({ CERTKEEPER_NO_BUNDLE: '1' }) });
    expect(fromModules.code).toBe(0);
  });

  it('prints what the ES modules print; the first run writes the cache (0600), the next one leaves it as it is', async () => {
    const first = await runCertkeeper(['status', '--config', config], { env: env() });
    expect(first).toEqual(fromModules);
    const [file] = caches();
    expect(file).toBeDefined();
    const path = join(cacheDir, file!);
    const written = readFileSync(path);
    expect(written.subarray(0, 5).toString()).toBe('ckv8c');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = await runCertkeeper(['status', '--config', config], { env: env() });
    expect(second).toEqual(fromModules);
    expect(readFileSync(path).equals(written)).toBe(true);
  });

  it('a damaged cache changes nothing the user sees, and is replaced by a sound one', async () => {
    await runCertkeeper(['status', '--config', config], { env: env() });
    const path = join(cacheDir, caches()[0]!);
    const garbage = Buffer.alloc(readFileSync(path).length, 0x5a);
    garbage.write('ckv8c');
    writeFileSync(path, garbage);
    const run = await runCertkeeper(['status', '--config', config], { env: env() });
    expect(run).toEqual(fromModules);
    expect(readFileSync(path).equals(garbage)).toBe(false);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('ckv8c');
  });

  it('a configuration error is the same one line and exit status from the bundle', async () => {
    const modules = await runCertkeeper(['status', '--config', bad], { env: env({ CERTKEEPER_NO_BUNDLE: '1' }) });
    const bundled = await runCertkeeper(['status', '--config', bad], { env: env() });
    expect(modules.code).toBe(2);
    expect(modules.stderr.trim().split('\n')).toHaveLength(1);
    expect(bundled).toEqual(modules);
  });

  it("the configuration's certificates cache is the build's: a command from its bundle and one from the ES modules share it", async () => {
    const big = join(base, 'big');
    mkdirSync(join(big, 'data'), { recursive: true });
    const srv = `/srv/${'tls'.repeat(60)}`;
    let certs = 'certificates:\n';
    // Over 64 KiB of plain entries: a block the cache keeps (src/config/certificates-cache.ts).
    for (let i = 0; i < 220; i++) certs += `  - name: c${i}\n    domains:\n      - c${i}.bulk.example.com\n    files:\n      cert: ${srv}/c${i}.crt\n      key: ${srv}/c${i}.key\n`;
    const file = join(big, 'certkeeper.yaml');
    writeFileSync(file, `dataDir: ${join(big, 'data')}\nacme:\n  directory: https://127.0.0.1:9/dir\ndns:\n  hooks:\n    type: exec\n    command: [/bin/false]\n${certs}`);
    const cache = join(big, 'data', 'cache', 'config-certificates.bin');
    expect((await runCertkeeper(['status', '--config', file], { env: env() })).code).toBe(0);
    const written = readFileSync(cache);
    // Another build's key would make each of these check the block again and write the cache anew.
    expect((await runCertkeeper(['config', 'check', '--config', file], { env: env() })).code).toBe(0);
    expect((await runCertkeeper(['status', '--config', file], { env: env({ CERTKEEPER_NO_BUNDLE: '1' }) })).code).toBe(0);
    expect(readFileSync(cache).equals(written)).toBe(true);
  });

  it('keeps no cache under a directory another user could rename', async () => {
    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const run = await runCertkeeper(['status', '--config', config], { env: env({ XDG_CACHE_HOME: open }) });
    expect(run).toEqual(fromModules);
    expect(caches(join(open, 'certkeeper', 'compile'))).toEqual([]);
  });
});
