import { readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { keyMatchesCertificate } from '../../src/store/x509.js';
import { runCertkeeper } from '../harness/cli.js';
import { expectNoStack, expectStoreComplete, makeSite, snapshotSite, type Site } from './harness/site.js';

const pebble = inject('pebble');

/**
 * A stored certificate, key or meta file damaged on disk (truncated, garbage, wrong key, a link
 * to nowhere): `status` reports it without crashing, and a plain `renew --now` (not forced)
 * re-issues, leaving a complete set that is deployed.
 */
describe('corrupt stored certificate sets are reported and re-issued', { timeout: 180_000 }, () => {
  let site: Site;
  beforeAll(async () => {
    site = await makeSite(pebble);
    expect((await site.renew()).code).toBe(0);
  }, 180_000);
  const current = async () => resolve(join(site.dataDir, 'certs'), await readlink(join(site.dataDir, 'certs/site')));

  const damages: [string, (dir: string) => Promise<void>, RegExp][] = [
    ['a truncated fullchain.pem', (d) => truncate(join(d, 'fullchain.pem'), 200), /unusable/],
    ['an empty fullchain.pem', (d) => truncate(join(d, 'fullchain.pem'), 0), /unusable/],
    ['a truncated privkey.pem', (d) => truncate(join(d, 'privkey.pem'), 60), /unusable/],
    ['a privkey.pem of another certificate', async (d) => writeFile(join(d, 'privkey.pem'), (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })), /unusable/],
    ['a meta.json that is not JSON', (d) => writeFile(join(d, 'meta.json'), '{"domains": ['), /unusable/],
    ['a current link pointing nowhere', (d) => rm(d, { recursive: true }), /no certificate issued yet/],
  ];

  for (const [what, damage, reason] of damages) {
    it(`${what}: reported by status, re-issued and deployed by the next plain pass`, async () => {
      await damage(await current());
      const s = await runCertkeeper(['status', '--json', '--config', site.configFile]);
      expect(s.code, s.stderr).toBe(0);
      expectNoStack(s.stderr);
      const [entry] = JSON.parse(s.stdout) as { due: boolean; reason: string }[];
      expect(entry!.due).toBe(true);
      expect(entry!.reason).toMatch(reason);

      const r = await site.renew([]);
      expect(r.code, r.stderr).toBe(0);
      expectNoStack(r.stderr + r.stdout);
      await expectStoreComplete(site.dataDir);
      const snap = await snapshotSite(site);
      expect(snap.deployedCert).toBe(snap.fullchain);
      expect(keyMatchesCertificate(snap.deployedCert, snap.deployedKey)).toBe(true);
    });
  }
});
