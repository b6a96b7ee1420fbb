import { chmod, copyFile, mkdir, readFile, readdir, stat, symlink, lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCertificates } from '../../src/deploy/deployer.js';
import type { StoredCertificate } from '../../src/store/certs.js';
import { deployConfig, leftovers, memoryLogger, storeLeaf } from '../harness/deploy.js';
import { REPO } from '../harness/cli.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { waitFor } from '../harness/ports.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const FAIL_ONCE = join(REPO, 'test/fixtures/fail-once.mjs');
const ENV_DUMP = join(REPO, 'test/fixtures/env-dump.mjs');

describe('deploy gate and rollback against a real Nginx', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxInstance;
  let other: NginxInstance;
  let oldFingerprint: string;
  const ssl = () => join(dir, 'ssl');
  const domain = uniqueDomain('gate');

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'gate CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    await mkdir(ssl());
    await copyFile(old.cert, join(ssl(), 'site.crt'));
    await copyFile(old.key, join(ssl(), 'site.key'));
    // Unusual modes on purpose: a rollback must restore them, not the defaults.
    await chmod(join(ssl(), 'site.crt'), 0o604);
    await chmod(join(ssl(), 'site.key'), 0o640);
    nginx = await startNginx(join(dir, 'nginx'), join(ssl(), 'site.crt'), join(ssl(), 'site.key'));
    oldFingerprint = (await servedCertificate(nginx.port, domain)).fingerprint256;
    // A second Nginx that serves some other certificate, for the served-certificate check.
    const stranger = await makeLeaf(dir, ca, [domain], { base: 'stranger' });
    other = await startNginx(join(dir, 'nginx-other'), stranger.cert, stranger.key);
  });
  afterAll(async () => {
    await nginx?.stop();
    await other?.stop();
  });

  async function snapshot(paths: string[]) {
    return Promise.all(paths.map(async (p) => ({ p, content: await readFile(p), mode: (await stat(p)).mode & 0o7777, ino: (await stat(p)).ino })));
  }

  /** A `files:` shorthand certificate deployed to the main Nginx with the given test/reload. */
  async function deployShorthand(sub: string, server: Record<string, unknown>) {
    const { config } = await deployConfig(join(dir, sub), {
      deploy: { web: server },
      certificates: [{ name: 'site', domains: [domain], files: { cert: join(ssl(), 'site.crt'), key: join(ssl(), 'site.key') } }],
    });
    const stored = await storeLeaf(config.dataDir, 'site', ca, [domain], `new-${sub}`);
    const { logger, lines } = memoryLogger();
    const [outcome] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, logger, { dataDir: config.dataDir });
    return { outcome: outcome!, lines, stored, journal: join(config.dataDir, 'deploy-journal') };
  }

  it('a failing nginx -t restores the previous files byte for byte with modes, skips the reload, and Nginx keeps serving the old certificate', async () => {
    const files = [join(ssl(), 'site.crt'), join(ssl(), 'site.key')];
    const before = await snapshot(files);
    await nginx.breakConfig();
    try {
      const { outcome, lines, journal } = await deployShorthand('broken', { test: nginx.testCommand, reload: nginx.reloadCommand });
      expect(outcome.ok).toBe(false);
      expect(outcome.error!.message).toMatch(/previous files were restored and the server was not reloaded/);
      expect(outcome.error!.message).toContain('this_is_not_a_directive'); // the test output is reported
      expect(lines.some((l) => l.msg === 'server reloaded')).toBe(false);
      expect(await snapshot(files)).toEqual(before); // content, mode and even the inode are the old ones
      expect(await leftovers(ssl())).toEqual([]);
      expect(await readdir(journal)).toEqual([]);
    } finally {
      await nginx.repairConfig();
    }
    expect((await servedCertificate(nginx.port, domain)).fingerprint256).toBe(oldFingerprint);
  });

  it('a failing reload restores the previous files and reloads again; both outputs are reported', async () => {
    const files = [join(ssl(), 'site.crt'), join(ssl(), 'site.key')];
    const before = await snapshot(files);
    const marker = join(dir, 'fail-next-reload');
    await writeFile(marker, '');
    const { outcome } = await deployShorthand('reload-fails', { test: nginx.testCommand, reload: [process.execPath, FAIL_ONCE, marker, ...nginx.reloadCommand] });
    expect(outcome.ok).toBe(false);
    expect(outcome.error!.message).toMatch(/exited with status 1: reload refused: simulated failure; the previous files were restored and reloaded/);
    expect(await snapshot(files)).toEqual(before);
    expect((await servedCertificate(nginx.port, domain)).fingerprint256).toBe(oldFingerprint);

    const always = await deployShorthand('reload-always-fails', { test: nginx.testCommand, reload: [process.execPath, '-e', 'console.error("nope"); process.exit(3)'] });
    expect(always.outcome.error!.message).toMatch(/exited with status 3: nope; the previous files were restored and reloading them also failed \(exited with status 3: nope\)/);
    expect(await snapshot(files)).toEqual(before);
  });

  it('the deploy then succeeds, and the served-certificate check sees the new certificate', async () => {
    const { outcome, stored } = await deployShorthand('ok', { test: nginx.testCommand, reload: nginx.reloadCommand });
    expect(outcome).toEqual({ name: 'site', ok: true });
    // Old workers finish gracefully after a reload, so wait for the switch rather than probe once.
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
    // The shorthand keeps the owner of the replaced files and uses the default modes for new content.
    expect((await stat(join(ssl(), 'site.key'))).mode & 0o777).toBe(0o600);
  });

  it('the served-certificate check catches an Nginx serving another certificate, and rolls back when configured', async () => {
    const target = (rollback: boolean) => ({ layout: 'nginx', dir: join(dir, 'ssl-verify'), verify: { address: `127.0.0.1:${other.port}`, timeout: '1s' }, rollbackOnVerifyFailure: rollback });
    const run = async (sub: string, rollback: boolean) => {
      const { config } = await deployConfig(join(dir, sub), { certificates: [{ name: 'v', domains: [domain], targets: [target(rollback)] }] });
      const stored = await storeLeaf(config.dataDir, 'v', ca, [domain], `verify-${sub}`);
      const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, memoryLogger().logger, { dataDir: config.dataDir });
      return { o: o!, stored };
    };
    const first = await run('verify-keep', false);
    expect(first.o.ok).toBe(false);
    expect(first.o.error!.message).toMatch(new RegExp(`served-certificate check failed: 127.0.0.1:${other.port} \\(SNI ${domain.replace(/\./g, '\\.')}\\) serves serial [0-9a-f]+ .*expected ${first.stored.info.serial}`));
    // Not configured to roll back: the new files stay.
    expect(await readFile(join(dir, 'ssl-verify/fullchain.pem'), 'utf8')).toBe(first.stored.fullchainPem);

    const second = await run('verify-rollback', true);
    expect(second.o.ok).toBe(false);
    expect(second.o.error!.message).toMatch(/the previous files were restored/);
    expect(await readFile(join(dir, 'ssl-verify/fullchain.pem'), 'utf8')).toBe(first.stored.fullchainPem);
    expect(await readFile(join(dir, 'ssl-verify/privkey.pem'), 'utf8')).toBe(first.stored.keyPem);
  });

  it('refuses a symlink at a target path unless allowSymlinks is set, then writes through it', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    await writeFile(join(real, 'cert.pem'), 'old cert');
    const links = join(dir, 'links');
    await mkdir(links);
    await symlink(join(real, 'cert.pem'), join(links, 'fullchain.pem'));
    const run = async (sub: string, allow: boolean) => {
      const { config } = await deployConfig(join(dir, sub), { certificates: [{ name: 'l', domains: [domain], targets: [{ layout: 'nginx', dir: links, allowSymlinks: allow }] }] });
      const stored = await storeLeaf(config.dataDir, 'l', ca, [domain], `link-${sub}`);
      const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, memoryLogger().logger, { dataDir: config.dataDir });
      return { o: o!, stored };
    };
    const refused = await run('link-refused', false);
    expect(refused.o.error!.message).toMatch(/fullchain.pem is a symbolic link; certkeeper will not write through it/);
    expect(await readFile(join(real, 'cert.pem'), 'utf8')).toBe('old cert');
    await expect(lstat(join(links, 'privkey.pem'))).rejects.toThrow(); // nothing of the set was written

    const allowed = await run('link-allowed', true);
    expect(allowed.o.ok).toBe(true);
    expect((await lstat(join(links, 'fullchain.pem'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(real, 'cert.pem'), 'utf8')).toBe(allowed.stored.fullchainPem);
  });

  it('a failing preDeploy stops its target only; postDeploy gets the name, domains and files in its environment', async () => {
    const pre = join(dir, 'pre.json');
    const post = join(dir, 'post.json');
    const { config } = await deployConfig(join(dir, 'hooks'), {
      certificates: [
        {
          name: 'h',
          domains: [domain, `*.${domain}`],
          targets: [
            { layout: 'nginx', dir: join(dir, 'hook-a'), preDeploy: [process.execPath, ENV_DUMP, pre, '7'] },
            { layout: 'bundle', dir: join(dir, 'hook-b'), postDeploy: [process.execPath, ENV_DUMP, post] },
          ],
        },
      ],
    });
    const stored: StoredCertificate = await storeLeaf(config.dataDir, 'h', ca, [domain, `*.${domain}`], 'hooks');
    const { logger, lines } = memoryLogger();
    const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, logger, { dataDir: config.dataDir });
    expect(o!.ok).toBe(false);
    expect(o!.error!.message).toMatch(/h#0: preDeploy .* exited with status 7: hook saw h; this target was not deployed/);
    expect(await readdir(join(dir, 'hook-a')).catch(() => [])).toEqual([]);
    expect(await readFile(join(dir, 'hook-b', `2_${domain}.crt`), 'utf8')).toContain('BEGIN CERTIFICATE');
    const env = JSON.parse(await readFile(post, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({
      CERTKEEPER_NAME: 'h',
      CERTKEEPER_DOMAINS: `${domain} *.${domain}`,
      CERTKEEPER_STAGE: 'post',
      CERTKEEPER_SERIAL: stored.info.serial,
      CERTKEEPER_FILE_KEY: join(dir, 'hook-b', `3_${domain}.key`),
    });
    expect(env.CERTKEEPER_FILES!.split(':')).toHaveLength(3);
    expect(lines.some((l) => l.hook === 'postDeploy' && l.output === 'hook saw h')).toBe(true);
  });
});
