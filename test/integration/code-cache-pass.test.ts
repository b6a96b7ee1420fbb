import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFileName, decodeCache } from '../../src/cli/code-cache.js';
import { hasNodeCompileCache } from '../../src/cli/compile-cache.js';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { startPebble, type RunningPebble } from '../harness/pebble.js';
import { freePort } from '../harness/ports.js';
import { tempDir, writeConfig } from '../harness/scenario.js';

// On Node 20 `renew` runs from its CommonJS bundle through V8's code cache, and so do acme-client's
// client, which the bundle holds, and tldts, a cached bundle of its own (src/package-require.ts). A pass that orders goes further
// into the program than one with nothing due: the cache is rewritten once for it, and after that
// neither kind of run rewrites it (they would otherwise take turns throwing the other's code away).
describe.skipIf(hasNodeCompileCache)('the renew bundle and its code cache across passes that order and passes with nothing due (Node 20)', () => {
  let pebble: RunningPebble;
  let listen: string;
  let dir: string;
  let cacheHome: string;
  const bundle = readFileSync(join(REPO, 'dist/src/cli/bundle-renew.cjs'));
  const { file: cacheName, key } = cacheFileName('bundle-renew', bundle);

  beforeAll(async () => {
    listen = `127.0.0.1:${await freePort()}`;
    pebble = await startPebble({ dnsServer: listen });
    dir = await tempDir('ck-v8c-pass-');
    cacheHome = join(dir, 'cache');
    chmodSync(dir, 0o700);
  });
  afterAll(() => pebble?.stop());

  let runs = 0;
  /** `renew --now` of `site` (a name of its own: new to check and order the first time); the files of node_modules it loaded. */
  const renew = async (site: string) => {
    const loadedList = join(dir, `loaded-${runs++}.json`);
    const zone = `${site}.test`;
    const file = await writeConfig(join(dir, site), {
      dataDir: join(dir, site, 'data'),
      acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
      dns: { local: { type: 'builtin', zone, listen } },
      propagation: { resolvers: [listen], timeout: '20s', interval: '500ms' },
      certificates: [{ name: 'site', domains: [`www.${zone}`] }],
    });
    const r = await runCertkeeper(['renew', '--now', '--config', file], {
      env: { CACHE_DIRECTORY: '', XDG_CACHE_HOME: cacheHome, CK_LOADED_LIST: loadedList, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(REPO, 'test/fixtures/list-loaded.cjs')}` },
    });
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    return { out: r.stdout + r.stderr, loaded: JSON.parse(readFileSync(loadedList, 'utf8')) as string[] };
  };
  const compileDir = () => join(cacheHome, 'certkeeper', 'compile');
  const cache = () => {
    const files = readdirSync(compileDir()).filter((f) => f.startsWith('bundle-renew-'));
    expect(files).toEqual([cacheName]);
    const bytes = readFileSync(join(compileDir(), cacheName));
    return { bytes, modules: decodeCache(bytes, key)!.modules };
  };
  /** tldts's cache (a bundle of its own: package-tldts.cjs), if a run wrote it. */
  const tldtsCache = () => readdirSync(compileDir()).filter((f) => f.startsWith('package-tldts-')).map((f) => readFileSync(join(compileDir(), f)));

  it('orders from the bundle with its stand-ins, loading nothing of acme-client, axios or tldts from node_modules', async () => {
    const pass = await renew('first');
    expect(pass.out).toMatch(/renewed/);
    expect(pass.loaded.filter((f) => /\/node_modules\/(acme-client|axios|tldts|tldts-core|node-forge|@peculiar|debug)\//.test(f))).toEqual([]);
  });

  it('one cache serves both: a no-op writes it, the next pass rewrites it once, then neither changes it', async () => {
    // A cache written by a run with nothing due (the certificate of the test above is not due), once
    // the suffix cache is in the data directory (the first pass's did not exist when it read its
    // configuration, so the first run after it writes that).
    await renew('first');
    rmSync(compileDir(), { recursive: true, force: true });
    await renew('first');
    const noop = cache();
    expect(tldtsCache()).toEqual([]); // its names are in the suffix cache: tldts is not loaded
    const pass = await renew('second');
    expect(pass.out).toMatch(/renewed/);
    const afterPass = cache();
    expect(afterPass.modules).toBeGreaterThan(noop.modules); // acme-client's client and tldts, through the bundle
    expect(afterPass.bytes.equals(noop.bytes)).toBe(false);
    const [tldts] = tldtsCache();
    expect(tldts).toBeDefined();
    await renew('first');
    expect(cache().bytes.equals(afterPass.bytes)).toBe(true);
    await renew('third');
    expect(cache().bytes.equals(afterPass.bytes)).toBe(true);
    expect(tldtsCache()).toEqual([tldts]);
  });
});
