import { copyFile, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashPointsFor } from '../../src/testing/crash-points.js';
import { recoverJournals } from '../../src/deploy/transaction.js';
import { CertificateStore } from '../../src/store/certs.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { deployCertificates } from '../../src/deploy/deployer.js';
import { deployConfig, leftovers, memoryLogger } from '../harness/deploy.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { waitFor } from '../harness/ports.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

/**
 * Kills `certkeeper deploy` with SIGKILL at every step boundary (CERTKEEPER_TEST_CRASH_AT) and checks
 * that what the next start finds — after it recovers the journal — is the whole old set or the whole
 * new set, never a mix, and that the next deploy then completes.
 */
describe('a deploy killed between any two steps leaves a consistent set', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxInstance;
  let configFile: string;
  let dataDir: string;
  const pair: { fullchain: string; key: string }[] = [];
  let turn = 0;
  const domain = uniqueDomain('crash');
  const files = () => [join(dir, 'ssl/fullchain.pem'), join(dir, 'ssl/privkey.pem')];

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'crash CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    await mkdir(join(dir, 'ssl'));
    await copyFile(old.cert, files()[0]!);
    await copyFile(old.key, files()[1]!);
    nginx = await startNginx(join(dir, 'nginx'), files()[0]!, files()[1]!);
    const loaded = await deployConfig(dir, {
      deploy: { web: { test: nginx.testCommand, reload: nginx.reloadCommand } },
      certificates: [{ name: 'site', domains: [domain], targets: [{ layout: 'nginx', dir: join(dir, 'ssl') }] }],
    });
    configFile = loaded.file;
    dataDir = loaded.config.dataDir;
    // Two certificates issued once, stored alternately: each pass replaces the deployed one with the other.
    const caPem = await readFile(ca.cert, 'utf8');
    for (const base of ['a', 'b']) {
      const l = await makeLeaf(dir, ca, [domain], { base });
      pair.push({ fullchain: (await readFile(l.cert, 'utf8')) + caPem, key: await readFile(l.key, 'utf8') });
    }
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  const read = () => Promise.all(files().map((f) => readFile(f, 'utf8')));

  it.each(crashPointsFor(2))('killed at %s', async (point) => {
    const before = await read();
    const p = pair[turn++ % 2]!;
    const stored = await new CertificateStore(dataDir).save('site', p.fullchain, p.key, { domains: [domain], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'test' });
    const next = [stored.fullchainPem, stored.keyPem];

    const crashed = await runCertkeeper(['deploy', '--config', configFile], { env: { CERTKEEPER_TEST_CRASH_AT: point } });
    expect(crashed.code).toBe(-1); // really killed at that point, not finished

    // Right after the kill each file is whole (old or new content), never torn.
    const raw = await read();
    raw.forEach((c, i) => expect([before[i], next[i]]).toContain(c));

    if (point === 'after-rename-0') {
      // Here the disk is a mix until recovery: the CLI itself finds the journal, rolls back, deploys.
      const again = await runCertkeeper(['deploy', '--config', configFile]);
      expect(again.stderr).toMatch(/site\s+deployed/);
      expect(again.code).toBe(0);
      expect(logLines(again.stdout).some((l) => l.msg === 'an interrupted deploy was rolled back to the previous files')).toBe(true);
    } else {
      // The next start finds the journal and settles on one complete set.
      await recoverJournals(join(dataDir, 'deploy-journal'));
      const settled = await read();
      const committed = point === 'after-commit-journal' || point === 'after-commit';
      expect(settled).toEqual(committed ? next : before);
      expect(await leftovers(join(dir, 'ssl'))).toEqual([]);
      expect(await readdir(join(dataDir, 'deploy-journal')).catch(() => [])).toEqual([]);
      expect((await stat(files()[1]!)).mode & 0o777).toBe(0o600);
      // And the next deploy completes (in-process here, to keep the loop fast).
      const config = await loadConfig(configFile);
      const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, memoryLogger().logger, { dataDir });
      expect(o).toEqual({ name: 'site', ok: true });
    }
    expect(await read()).toEqual(next);
    expect(await leftovers(join(dir, 'ssl'))).toEqual([]);
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  });
});
