import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import type { DetailedPeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCertificates } from '../../src/deploy/deployer.js';
import { CertificateStore } from '../../src/store/certs.js';
import { keyMatchesCertificate, splitPem } from '../../src/store/x509.js';
import { runCertkeeper } from '../harness/cli.js';
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
    // The full chain is what goes out: leaf then the CA. Probed until the new leaf answers: an old
    // worker still finishing after the reload may take a connection and serve the old certificate.
    let served: DetailedPeerCertificate | undefined;
    await waitFor(async () => (served = (await servedCertificate(nginx.port, domain)) as DetailedPeerCertificate).fingerprint256 === stored.info.fingerprint256, 'the new leaf');
    expect(served!.issuerCertificate?.fingerprint256).toBe(new X509Certificate(certs[1]!).fingerprint256);
  });

  it('pfx, the way the image runs it (no openssl on PATH): ECDSA and RSA keys, modern and legacy; the real openssl reads each back', async () => {
    const ssl = join(dir, 'ssl-pfx');
    const pw = 'correct horse';
    const { file, config } = await deployConfig(join(dir, 'pfx'), {
      certificates: ['win', 'win-rsa'].map((name) => ({
        name,
        domains: [domain],
        targets: [
          { layout: 'pfx', dir: ssl, passwordEnv: 'CK_TEST_PFX_PASSWORD' },
          { layout: 'pfx', paths: { pfx: join(ssl, `${name}-old-windows.pfx`) }, passwordEnv: 'CK_TEST_PFX_PASSWORD', pfxLegacy: true },
        ],
      })),
    });
    const ecdsa = await storeLeaf(config.dataDir, 'win', ca, [domain], 'new-pfx');
    // An RSA leaf from the same CA, stored as a renewal with keyType rsa-2048 would store it.
    const rsaKey = join(dir, 'rsa.key');
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', rsaKey, '-out', join(dir, 'rsa.csr'), '-subj', `/CN=${domain}`]);
    await run('openssl', ['x509', '-req', '-in', join(dir, 'rsa.csr'), '-CA', ca.cert, '-CAkey', ca.key, '-days', '2', '-out', join(dir, 'rsa.pem')]);
    const rsa = await new CertificateStore(config.dataDir).save('win-rsa', (await readFile(join(dir, 'rsa.pem'), 'utf8')) + (await readFile(ca.cert, 'utf8')), await readFile(rsaKey, 'utf8'), {
      domains: [domain], keyType: 'rsa-2048', issuedAt: new Date().toISOString(), directory: 'test',
    });
    // The image has node and certkeeper, no openssl: a PATH that finds no openssl either.
    const emptyBin = await mkdtemp(join(dir, 'bin-'));
    await expect(run('openssl', ['version'], { env: { PATH: emptyBin } })).rejects.toThrow(/ENOENT/);
    const r = await runCertkeeper(['deploy', '--config', file], { env: { PATH: emptyBin, CK_TEST_PFX_PASSWORD: pw } });
    expect(r.stderr).toMatch(/win\s+deployed/);
    expect(r.stderr).toMatch(/win-rsa\s+deployed/);
    expect(r.code).toBe(0);
    for (const [name, stored] of [['win', ecdsa], ['win-rsa', rsa]] as const) {
      for (const [pfx, mac] of [[join(ssl, `${name}.pfx`), 'sha256'], [join(ssl, `${name}-old-windows.pfx`), 'sha1']] as const) {
        expect(await mode(pfx)).toBe(0o600);
        const env = { ...process.env, PW: pw };
        const { stdout } = await run('openssl', ['pkcs12', '-in', pfx, '-passin', 'env:PW', '-nodes'], { env });
        const certs = splitPem(stdout);
        const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout)?.[0];
        expect(certs.length).toBe(2);
        expect(new X509Certificate(certs[0]!).fingerprint256).toBe(stored.info.fingerprint256);
        expect(keyMatchesCertificate(splitPem(stored.fullchainPem)[0]!, `${key}\n`)).toBe(true);
        expect(stdout).toMatch(new RegExp(`friendlyName: ${name}\\n\\s+localKeyID:`));
        const info = await run('openssl', ['pkcs12', '-in', pfx, '-passin', 'env:PW', '-info', '-noout'], { env });
        expect(info.stderr).toMatch(new RegExp(`MAC: ${mac}, Iteration 2048`));
        expect(info.stderr).toMatch(mac === 'sha1' ? /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/ : /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
        await expect(run('openssl', ['pkcs12', '-in', pfx, '-passin', 'pass:wrong', '-nodes'])).rejects.toThrow();
      }
    }
    // The directory holding the key material was created closed to others.
    expect(await mode(ssl)).toBe(0o700);
  });
});
