import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { DetailedPeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCertificates } from '../../src/deploy/deployer.js';
import { keyMatchesCertificate, splitPem } from '../../src/store/x509.js';
import { deployConfig, leftovers, memoryLogger, storeLeaf } from '../harness/deploy.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { waitFor } from '../harness/ports.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const run = promisify(execFile);

describe('deploy layouts into a real Nginx', () => {
  let dir: string;
  let ca: KeyPair;
  let old: KeyPair;
  const nginxes: NginxInstance[] = [];
  const domain = uniqueDomain('layout');

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'layout CA');
    old = await makeLeaf(dir, ca, [domain], { base: 'old' });
  });
  afterAll(async () => {
    for (const n of nginxes) await n.stop();
  });

  /** Nginx on the old certificate at `cert`/`key`; certkeeper then deploys `layout` to `ssl` and Nginx must serve it. */
  async function deployLayout(layout: string, ssl: string, nginxCert: string, nginxKey: string) {
    await mkdir(ssl, { recursive: true });
    if (nginxCert === nginxKey) await writeFile(nginxCert, (await readFile(old.cert, 'utf8')) + (await readFile(old.key, 'utf8')));
    else {
      await copyFile(old.cert, nginxCert);
      await copyFile(old.key, nginxKey);
    }
    const nginx = await startNginx(join(dir, `nginx-${layout}`), nginxCert, nginxKey);
    nginxes.push(nginx);
    const { config } = await deployConfig(join(dir, layout), {
      deploy: { web: { test: nginx.testCommand, reload: nginx.reloadCommand } },
      certificates: [{ name: 'site', domains: [domain], targets: [{ layout, dir: ssl, verify: { address: `127.0.0.1:${nginx.port}`, timeout: '10s' } }] }],
    });
    const stored = await storeLeaf(config.dataDir, 'site', ca, [domain], `new-${layout}`);
    const { logger, lines } = memoryLogger();
    const outcomes = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, logger, { dataDir: config.dataDir });
    expect(outcomes).toEqual([{ name: 'site', ok: true }]);
    expect(lines.some((l) => l.msg === 'new certificate is being served')).toBe(true);
    // Independently of certkeeper's own check: Nginx now serves the new leaf.
    // Old workers finish gracefully after a reload, so wait for the switch rather than probe once.
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
    expect(await leftovers(ssl)).toEqual([]);
    return { stored, nginx };
  }

  const mode = async (p: string) => (await stat(p)).mode & 0o777;

  it('nginx: fullchain.pem + privkey.pem (0644 / 0600), served', async () => {
    const ssl = join(dir, 'ssl-nginx');
    const { stored } = await deployLayout('nginx', ssl, join(ssl, 'fullchain.pem'), join(ssl, 'privkey.pem'));
    expect(await readFile(join(ssl, 'fullchain.pem'), 'utf8')).toBe(stored.fullchainPem);
    expect(await readFile(join(ssl, 'privkey.pem'), 'utf8')).toBe(stored.keyPem);
    expect(await mode(join(ssl, 'fullchain.pem'))).toBe(0o644);
    expect(await mode(join(ssl, 'privkey.pem'))).toBe(0o600);
  });

  it('bundle: 1_root_bundle.crt (chain), 2_<domain>.crt (leaf), 3_<domain>.key; Nginx serves the leaf', async () => {
    const ssl = join(dir, 'ssl-bundle');
    const { stored } = await deployLayout('bundle', ssl, join(ssl, `2_${domain}.crt`), join(ssl, `3_${domain}.key`));
    const certs = splitPem(stored.fullchainPem);
    expect(await readFile(join(ssl, '1_root_bundle.crt'), 'utf8')).toBe(certs.slice(1).join(''));
    expect(await readFile(join(ssl, `2_${domain}.crt`), 'utf8')).toBe(certs[0]);
    expect(await readFile(join(ssl, `3_${domain}.key`), 'utf8')).toBe(stored.keyPem);
    expect(await mode(join(ssl, `3_${domain}.key`))).toBe(0o600);
    expect(await mode(join(ssl, '1_root_bundle.crt'))).toBe(0o644);
  });

  it('pem: cert, chain, fullchain, key and combined; Nginx serves combined.pem (chain + key in one file)', async () => {
    const ssl = join(dir, 'ssl-pem');
    const { stored, nginx } = await deployLayout('pem', ssl, join(ssl, 'combined.pem'), join(ssl, 'combined.pem'));
    const certs = splitPem(stored.fullchainPem);
    expect(await readFile(join(ssl, 'cert.pem'), 'utf8')).toBe(certs[0]);
    expect(await readFile(join(ssl, 'chain.pem'), 'utf8')).toBe(certs.slice(1).join(''));
    expect(await readFile(join(ssl, 'fullchain.pem'), 'utf8')).toBe(stored.fullchainPem);
    expect(await readFile(join(ssl, 'combined.pem'), 'utf8')).toBe(stored.fullchainPem + stored.keyPem);
    expect(await mode(join(ssl, 'combined.pem'))).toBe(0o600);
    // The full chain is what goes out: leaf then the CA.
    const served = (await servedCertificate(nginx.port, domain)) as DetailedPeerCertificate;
    expect(served.issuerCertificate?.fingerprint256).toBe(new X509Certificate(certs[1]!).fingerprint256);
  });

  it('pfx: PKCS#12 that openssl reads back with the password from env; key matches the certificate', async () => {
    const ssl = join(dir, 'ssl-pfx');
    process.env.CK_TEST_PFX_PASSWORD = 'correct horse';
    const { config } = await deployConfig(join(dir, 'pfx'), {
      certificates: [
        { name: 'win', domains: [domain], targets: [{ layout: 'pfx', dir: ssl, passwordEnv: 'CK_TEST_PFX_PASSWORD' }, { layout: 'pfx', paths: { pfx: join(ssl, 'old-windows.pfx') }, passwordEnv: 'CK_TEST_PFX_PASSWORD', pfxLegacy: true }] },
      ],
    });
    const stored = await storeLeaf(config.dataDir, 'win', ca, [domain], 'new-pfx');
    const outcomes = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, memoryLogger().logger, { dataDir: config.dataDir });
    expect(outcomes).toEqual([{ name: 'win', ok: true }]);
    for (const file of [join(ssl, 'win.pfx'), join(ssl, 'old-windows.pfx')]) {
      expect(await mode(file)).toBe(0o600);
      const env = { ...process.env, PW: 'correct horse' };
      const { stdout } = await run('openssl', ['pkcs12', '-in', file, '-passin', 'env:PW', '-nodes'], { env });
      const certs = splitPem(stdout);
      const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout)?.[0];
      expect(certs.length).toBe(2);
      expect(keyMatchesCertificate(splitPem(stored.fullchainPem)[0]!, `${key}\n`)).toBe(true);
      await expect(run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:wrong', '-nodes'])).rejects.toThrow();
    }
    // The directory holding the key material was created closed to others.
    expect(await mode(ssl)).toBe(0o700);
  });
});
