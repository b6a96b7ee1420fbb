import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keyMatchesCertificate, readCertificateInfo } from '../../src/store/x509.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { pebbleRoots } from '../harness/pebble.js';
import { waitFor } from '../harness/ports.js';
import { hookEnv, pebbleConfig, RECORD, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const pebble = inject('pebble');

describe('renew --now against Pebble and a real Nginx', () => {
  let dir: string;
  let nginx: NginxInstance;
  let configFile: string;
  let commandLog: string;
  const domain = uniqueDomain('e2e');

  beforeAll(async () => {
    dir = await tempDir();
    // Nginx starts on a self-made certificate: the "working" set certkeeper must replace safely.
    const ca = await makeCa(dir, 'old CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    const ssl = join(dir, 'ssl');
    const { copyFile, mkdir } = await import('node:fs/promises');
    await mkdir(ssl);
    await copyFile(old.cert, join(ssl, 'site.crt'));
    await copyFile(old.key, join(ssl, 'site.key'));
    nginx = await startNginx(join(dir, 'nginx'), join(ssl, 'site.crt'), join(ssl, 'site.key'));
    commandLog = join(dir, 'commands.log');
    configFile = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      deploy: {
        nginx: {
          test: [process.execPath, RECORD, commandLog, 'test', ...nginx.testCommand],
          reload: [process.execPath, RECORD, commandLog, 'reload', ...nginx.reloadCommand],
        },
      },
      certificates: [
        { name: 'site', domains: [domain, `*.${domain}`], files: { cert: join(ssl, 'site.crt'), key: join(ssl, 'site.key') } },
      ],
    });
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  it('issues apex + wildcard from Pebble, deploys, tests and reloads Nginx, which then serves it', async () => {
    const r = await runCertkeeper(['renew', '--now', '--config', configFile], { env: hookEnv(pebble) });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);

    const fullchain = await readFile(join(dir, 'ssl/site.crt'), 'utf8');
    const key = await readFile(join(dir, 'ssl/site.key'), 'utf8');
    const info = readCertificateInfo(fullchain);
    expect(info.names.sort()).toEqual([domain, `*.${domain}`].sort());
    expect(keyMatchesCertificate(fullchain, key)).toBe(true);
    expect((await stat(join(dir, 'ssl/site.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data/certs/site/privkey.pem'))).mode & 0o777).toBe(0o600);
    // The stored chain verifies up to Pebble's root.
    const roots = await pebbleRoots(pebble);
    const [leafPem, interPem] = fullchain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(new X509Certificate(leafPem!).verify(new X509Certificate(interPem!).publicKey)).toBe(true);
    expect(roots).toContain('BEGIN CERTIFICATE');
    // Tested, then reloaded, in that order; then the test's route again, as nginx -T, for the served-certificate check.
    expect(await readFile(commandLog, 'utf8')).toBe('test\nreload\ntest\n');

    const leaf = new X509Certificate(leafPem!);
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === leaf.fingerprint256, 'nginx to serve the new certificate');

    const logs = logLines(r.stdout);
    expect(logs.some((l) => l.msg === 'TXT records propagated')).toBe(true);
    expect(logs.some((l) => l.msg === 'server reloaded')).toBe(true);
  });

  it('does nothing on the next pass: not due, no new order, exit 0; status reports it', async () => {
    const before = await readFile(join(dir, 'ssl/site.crt'), 'utf8');
    const r = await runCertkeeper(['renew', '--now', '--config', configFile], { env: hookEnv(pebble) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not due/);
    expect(logLines(r.stdout).some((l) => l.msg === 'order created')).toBe(false);
    expect(await readFile(join(dir, 'ssl/site.crt'), 'utf8')).toBe(before);

    const s = await runCertkeeper(['status', '--json', '--config', configFile]);
    expect(s.code).toBe(0);
    const [entry] = JSON.parse(s.stdout) as Array<Record<string, any>>;
    expect(entry!.name).toBe('site');
    expect(entry!.due).toBe(false);
    expect(entry!.domains).toEqual([domain, `*.${domain}`]);
    expect(entry!.issuer).toMatch(/Pebble/i);
    expect(entry!.daysLeft).toBeGreaterThan(30);
  });
  it('refuses to deploy when nginx -t fails, leaving the deployed files and Nginx as they were', async () => {
    const deployedCert = await readFile(join(dir, 'ssl/site.crt'));
    const deployedKey = await readFile(join(dir, 'ssl/site.key'));
    await writeFile(commandLog, '');
    await nginx.breakConfig();
    try {
      const r = await runCertkeeper(['renew', '--now', '--force', '--config', configFile], { env: hookEnv(pebble) });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/FAILED \(deploy\)/);
      expect(r.stderr).toContain('this_is_not_a_directive');
      expect(r.stderr).toContain('previous files were restored');
      expect(await readFile(join(dir, 'ssl/site.crt'))).toEqual(deployedCert);
      expect(await readFile(join(dir, 'ssl/site.key'))).toEqual(deployedKey);
      expect((await stat(join(dir, 'ssl/site.key'))).mode & 0o777).toBe(0o600);
      expect(await readFile(commandLog, 'utf8')).toBe('test\n'); // tested, never reloaded
      const served = await servedCertificate(nginx.port, domain);
      expect(served.fingerprint256).toBe(new X509Certificate(deployedCert).fingerprint256);
    } finally {
      await nginx.repairConfig();
    }
  });

  it('after the configuration is repaired, the next pass deploys the certificate that was kept in the store', async () => {
    const stored = await readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8');
    expect(await readFile(join(dir, 'ssl/site.crt'), 'utf8')).not.toBe(stored);
    const r = await runCertkeeper(['renew', '--now', '--config', configFile], { env: hookEnv(pebble) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deployed again/);
    expect(await readFile(join(dir, 'ssl/site.crt'), 'utf8')).toBe(stored);
    const leaf = new X509Certificate(stored);
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === leaf.fingerprint256, 'nginx to serve the stored certificate');
  });
});
