import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keyMatchesCertificate, readCertificateInfo } from '../../src/store/x509.js';
import { CLI } from '../harness/cli.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { tempDir } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { expectStoreComplete, FULL, makeSite, type Site } from './harness/site.js';

const pebble = inject('pebble');
const POINTS = Number(process.env.FAULTS_KILL_POINTS ?? (FULL ? 40 : 6));

/** Figures for docs/issue9.md: printed at the end of the run. */
const tally = { points: 0, byLine: 0, byTime: 0, mixedDeployedPair: 0, storeAdvanced: 0, txtLeft: 0 };

/**
 * SIGKILL a `renew --now --force` (real process, real Pebble, real Nginx) at many points: after a
 * random delay, or when the K-th log line appears. After each kill the store must point at a
 * complete version, every deployed file must be whole, and the next plain run must complete,
 * leave the deployed pair equal to the store, and leave no challenge TXT record behind (a kill
 * between present and cleanup leaves them; dataDir/pending-txt.json lets the next pass remove them).
 */
describe(`SIGKILL during a renewal at ${POINTS} points`, () => {
  let site: Site;
  let nginx: NginxInstance;
  let fullMs = 0;
  let fullLines = 0;

  beforeAll(async () => {
    const dir = await tempDir('ck-kill-');
    const ssl = join(dir, 'ssl');
    await mkdir(ssl);
    const ca = await makeCa(dir, 'old CA');
    const old = await makeLeaf(dir, ca, ['old.test'], { base: 'old' });
    await copyFile(old.cert, join(ssl, 'site.crt'));
    await copyFile(old.key, join(ssl, 'site.key'));
    nginx = await startNginx(join(dir, 'nginx'), join(ssl, 'site.crt'), join(ssl, 'site.key'));
    site = await makeSite(pebble, { dir, extra: { deploy: { nginx: { test: nginx.testCommand, reload: nginx.reloadCommand } } } });
    // A full, unkilled run gives the range of times and log lines to kill at.
    const t0 = Date.now();
    const r = await site.renew();
    fullMs = Date.now() - t0;
    fullLines = r.stdout.split('\n').filter(Boolean).length;
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await nginx?.stop();
    console.log(`kill points: ${JSON.stringify(tally)}`);
  });

  function killedRun(at: { ms: number } | { line: number }): Promise<void> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [CLI, 'renew', '--now', '--force', '--config', site.configFile], {
        env: { ...process.env, ...site.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let lines = 0;
      p.stdout!.on('data', (c: Buffer) => {
        lines += c.toString().split('\n').length - 1;
        if ('line' in at && lines >= at.line) p.kill('SIGKILL');
      });
      if ('ms' in at) setTimeout(() => p.kill('SIGKILL'), at.ms);
      p.on('exit', () => resolve());
    });
  }

  it('leaves a complete certificate set every time, and the next run completes', async () => {
    for (let i = 0; i < POINTS; i++) {
      const versionBefore = await readdir(join(site.dataDir, 'archive/site'));
      const at = i % 2 === 0 ? { line: 1 + Math.floor(Math.random() * fullLines) } : { ms: Math.floor(Math.random() * fullMs) };
      await killedRun(at);
      tally.points++;
      if ('line' in at) tally.byLine++;
      else tally.byTime++;

      // The store: the current link names a complete, matching set.
      await expectStoreComplete(site.dataDir);
      if ((await readdir(join(site.dataDir, 'archive/site'))).length !== versionBefore.length) tally.storeAdvanced++;
      // Deployed files are each whole (atomic writes); the pair may be mixed for a moment.
      const cert = await readFile(site.certFile, 'utf8');
      const key = await readFile(site.keyFile, 'utf8');
      expect(() => readCertificateInfo(cert)).not.toThrow();
      expect(key).toMatch(/^-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\n?$/);
      if (!keyMatchesCertificate(cert, key)) tally.mixedDeployedPair++;
      const { txtAt } = await import('./harness/site.js');
      if ((await txtAt(pebble, site.domain)).length) tally.txtLeft++;

      // The next plain run (not forced) completes and deploys what the store holds.
      const next = await site.renew([]);
      expect(next.code, `after kill at ${JSON.stringify(at)}:\n${next.stderr}`).toBe(0);
      const stored = await readFile(join(site.dataDir, 'certs/site/fullchain.pem'), 'utf8');
      expect(await readFile(site.certFile, 'utf8')).toBe(stored);
      expect(keyMatchesCertificate(await readFile(site.certFile, 'utf8'), await readFile(site.keyFile, 'utf8'))).toBe(true);
      expect(await txtAt(pebble, site.domain), `TXT left after the run following a kill at ${JSON.stringify(at)}`).toEqual([]);
    }
  }, 60_000 + POINTS * 30_000);
});
