import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCertificates } from '../../src/deploy/deployer.js';
import { deployConfig, memoryLogger, storeLeaf } from '../harness/deploy.js';
import { writeNginxConfig, type NginxSetup } from '../harness/nginx.js';
import { freePort, waitFor } from '../harness/ports.js';
import { tempDir } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const run = promisify(execFile);

/**
 * The served-certificate check without `verify:`: after the reload certkeeper reads `nginx -T`,
 * finds the server blocks whose ssl_certificate is a file it wrote, and probes each of their TLS
 * listens with each server_name. A real Nginx with three server blocks in an included file: two use
 * the deployed certificate (one through a symbolic link, one by wildcard name), one another certificate.
 */
describe('the served-certificate check derived from nginx -T', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxSetup;
  let ports: number[];
  const ssl = () => join(dir, 'ssl');

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'served CA');
    const old = await makeLeaf(dir, ca, ['a.served.test'], { base: 'old' });
    const other = await makeLeaf(dir, ca, ['other.served.test'], { base: 'other' });
    await mkdir(ssl());
    await copyFile(old.cert, join(ssl(), 'fullchain.pem'));
    await copyFile(old.key, join(ssl(), 'privkey.pem'));
    await symlink(ssl(), join(dir, 'live'));
    ports = [await freePort(), await freePort()];
    nginx = await writeNginxConfig(join(dir, 'nginx'), '  include conf.d/*.conf;', {
      'conf.d/site.conf': `server {
  listen 127.0.0.1:${ports[0]} ssl;
  server_name a.served.test;
  ssl_certificate ${ssl()}/fullchain.pem;
  ssl_certificate_key ${ssl()}/privkey.pem;
}
server {
  listen 127.0.0.1:${ports[1]} ssl default_server;
  server_name "*.b.served.test";  # probed as certkeeper-check.b.served.test
  ssl_certificate ${dir}/live/fullchain.pem;
  ssl_certificate_key ${ssl()}/privkey.pem;
}
`,
      'conf.d/zz-other.conf': `server {
  listen 127.0.0.1:${ports[1]} ssl;
  server_name other.served.test;
  ssl_certificate ${other.cert};
  ssl_certificate_key ${other.key};
}
`,
    });
    await run(nginx.base[0]!, nginx.base.slice(1));
    await waitFor(() => servedCertificate(ports[1]!).then(() => true), 'nginx to start');
  });
  afterAll(async () => {
    const pid = Number((await readFile(nginx.pidFile, 'utf8').catch(() => '0')).trim());
    if (pid) process.kill(pid, 'SIGTERM');
  });

  async function deploy(sub: string, server: Record<string, unknown>, target: Record<string, unknown> = {}) {
    const { config } = await deployConfig(join(dir, sub), { deploy: { web: server }, certificates: [{ name: 'site', domains: ['a.served.test'], targets: [{ dir: ssl(), ...target }] }] });
    const stored = await storeLeaf(config.dataDir, 'site', ca, ['a.served.test', '*.b.served.test'], `new-${sub}`);
    const { logger, lines } = memoryLogger();
    const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, logger, { dataDir: config.dataDir });
    return { o: o!, stored, lines };
  }
  const real = () => ({ test: [...nginx.base, '-t', '-q'], reload: [...nginx.base, '-s', 'reload'] });
  const site = join('nginx', 'conf.d', 'site.conf');

  it('probes every server block using the files, on each TLS listen with each server_name, and logs which', async () => {
    const { o, stored, lines } = await deploy('ok', real());
    expect(o).toEqual({ name: 'site', ok: true });
    const line = lines.find((l) => l.msg === 'new certificate is being served by every server block using it');
    expect(line?.blocks).toEqual([join(dir, site) + ':1', join(dir, site) + ':7']);
    expect(line?.checked).toEqual([`${join(dir, site)}:1 127.0.0.1:${ports[0]} a.served.test`, `${join(dir, site)}:7 127.0.0.1:${ports[1]} certkeeper-check.b.served.test`]);
    // Both blocks really serve it now (an old worker may still take a connection while it winds down);
    // the third block, with its own certificate, was left out.
    for (const [port, sni] of [[ports[0]!, 'a.served.test'], [ports[1]!, 'x.b.served.test']] as const) {
      await waitFor(async () => (await servedCertificate(port, sni)).fingerprint256 === stored.info.fingerprint256, `${sni} to be served`);
    }
    expect((await servedCertificate(ports[1]!, 'other.served.test')).subject.CN).toBe('other.served.test');
  });

  it('a reload that did not take is caught at every block; rollbackOnVerifyFailure puts the previous files back', async () => {
    const before = await readFile(join(ssl(), 'fullchain.pem'), 'utf8');
    const { o, stored } = await deploy('stale', { test: real().test, reload: ['/bin/true'], servedCheck: { timeout: '2s' } }, { rollbackOnVerifyFailure: true });
    expect(o.ok).toBe(false);
    const message = o.error!.message;
    const serial = stored.info.serial;
    expect(message).toContain(`served-certificate check failed: server block ${join(dir, site)}:1: 127.0.0.1:${ports[0]} (SNI a.served.test) serves serial`);
    expect(message).toContain(`server block ${join(dir, site)}:7: 127.0.0.1:${ports[1]} (SNI certkeeper-check.b.served.test) serves serial`);
    expect(message).toContain(`expected ${serial}`);
    expect(message).toMatch(/the previous files were restored and reloaded$/);
    expect(await readFile(join(ssl(), 'fullchain.pem'), 'utf8')).toBe(before);
  });

  it("the systemd service's route: the root test unit saves nginx -T's output (StandardOutput=truncate:), configDump reads it", async () => {
    const saved = join(dir, 'nginx-effective.conf');
    // What certkeeper-nginx-test.service does: ExecStart=nginx -T -q with its standard output into the file.
    const test = ['sh', '-c', 'file=$1; shift; exec "$@" > "$file"', 'sh', saved, ...nginx.base, '-T', '-q'];
    const { o, lines } = await deploy('service', { test, reload: real().reload, servedCheck: { configDump: ['cat', saved] } });
    expect(o).toEqual({ name: 'site', ok: true });
    expect(lines.find((l) => l.msg === 'new certificate is being served by every server block using it')?.blocks).toHaveLength(2);
  });

  it('servedCheck: false turns the derived check off; an unreadable configuration skips it with a warning', async () => {
    const off = await deploy('off', { test: real().test, reload: ['/bin/true'], servedCheck: false });
    expect(off.o).toEqual({ name: 'site', ok: true });
    expect(off.lines.some((l) => /served/.test(l.msg))).toBe(false);
    const unreadable = await deploy('unreadable', { ...real(), servedCheck: { configDump: [process.execPath, '-e', 'console.error("permission denied"); process.exit(1)'] } });
    expect(unreadable.o).toEqual({ name: 'site', ok: true });
    expect(unreadable.lines.find((l) => l.msg.startsWith('served-certificate check skipped'))).toMatchObject({ level: 40, err: 'exited with status 1: permission denied' });
  });
});
