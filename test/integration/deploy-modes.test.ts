import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCertificates } from '../../src/deploy/deployer.js';
import { runCertkeeper } from '../harness/cli.js';
import { deployConfig, memoryLogger, storeLeaf } from '../harness/deploy.js';
import { NGINX, startNginx, type NginxInstance } from '../harness/nginx.js';
import { freePort, waitFor } from '../harness/ports.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';

describe('reload modes: signal (real Nginx master by PID) and docker (Engine API stand-in running a real Nginx)', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxInstance;
  let engine: FakeDockerEngine;
  const domain = uniqueDomain('modes');
  const ssl = () => join(dir, 'ssl');

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'modes CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    await mkdir(ssl());
    await copyFile(old.cert, join(ssl(), 'fullchain.pem'));
    await copyFile(old.key, join(ssl(), 'privkey.pem'));
    nginx = await startNginx(join(dir, 'nginx'), join(ssl(), 'fullchain.pem'), join(ssl(), 'privkey.pem'));
    // "Inside the container" the command is plain `nginx ...`; here that is the harness's Nginx with its prefix.
    const prefix = nginx.testCommand.slice(0, -2);
    engine = await startFakeDockerEngine(join(dir, 'docker.sock'), [
      { name: 'web', running: true, translate: (cmd) => (cmd[0] === 'nginx' ? [...prefix, ...cmd.slice(1)] : cmd) },
      { name: 'stopped', running: false, translate: (cmd) => cmd },
    ]);
    expect(prefix[0]).toBe(NGINX);
  });
  afterAll(async () => {
    await engine?.close();
    await nginx?.stop();
  });

  async function deployWith(sub: string, server: Record<string, unknown>, target: Record<string, unknown> = { verify: { address: `127.0.0.1:${nginx.port}`, timeout: '15s' } }) {
    const { config, file } = await deployConfig(join(dir, sub), {
      deploy: { web: server },
      certificates: [{ name: 'site', domains: [domain], targets: [{ layout: 'nginx', dir: ssl(), ...target }] }],
    });
    const stored = await storeLeaf(config.dataDir, 'site', ca, [domain], `new-${sub}`);
    const { logger, lines } = memoryLogger();
    const [o] = await deployCertificates([{ cert: config.certificates[0]!, stored }], config.deploy, logger, { dataDir: config.dataDir });
    return { o: o!, stored, lines, file };
  }

  it('signal: tests locally with nginx -t, sends SIGHUP to the master PID from the pid file, and the new certificate is served', async () => {
    const pid = Number((await readFile(join(nginx.dir, 'nginx.pid'), 'utf8')).trim());
    const { o, stored, lines } = await deployWith('signal', { mode: 'signal', pidFile: join(nginx.dir, 'nginx.pid'), test: nginx.testCommand });
    expect(o).toEqual({ name: 'site', ok: true });
    expect(lines.find((l) => l.msg === 'server reloaded')?.output).toBe(`sent SIGHUP to ${pid}`);
    // Old workers finish gracefully after a reload, so wait for the switch rather than probe once.
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  });

  it('signal: a stale pid file is a reload failure; the previous files are restored', async () => {
    const before = await readFile(join(ssl(), 'fullchain.pem'), 'utf8');
    const { o } = await deployWith('signal-stale', { mode: 'signal', pidFile: join(dir, 'no-such.pid') });
    expect(o.ok).toBe(false);
    expect(o.error!.message).toMatch(/cannot read pid file .*no-such.pid \(ENOENT\)/);
    expect(await readFile(join(ssl(), 'fullchain.pem'), 'utf8')).toBe(before);
  });

  it('docker: nginx -t and nginx -s reload run in the container through the Engine API exec endpoints; Nginx serves the new certificate', async () => {
    engine.requests.length = 0;
    const { o, stored } = await deployWith('docker', { mode: 'docker', socket: engine.socket, container: 'web' });
    expect(o).toEqual({ name: 'site', ok: true });
    // Old workers finish gracefully after a reload, so wait for the switch rather than probe once.
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
    const shapes = engine.requests.map((r) => r.replace(/[0-9a-f]{64}/g, 'ID'));
    expect(shapes.filter((r) => r === 'POST /v1.43/containers/web/exec')).toHaveLength(2);
    expect(shapes.filter((r) => r === 'POST /v1.43/exec/ID/start')).toHaveLength(2);
    expect(shapes).toContain('GET /v1.43/exec/ID/json');
  });

  it('docker through a socket proxy (tcp://): without verify, the served-certificate check reads nginx -T through the same exec endpoints and probes the block it finds', async () => {
    const proxy = await startFakeDockerEngine(`tcp://127.0.0.1:${await freePort()}`, [{ name: 'web', running: true, translate: (cmd) => (cmd[0] === 'nginx' ? [...nginx.testCommand.slice(0, -2), ...cmd.slice(1)] : cmd) }]);
    // The container's name would be the probe host; this stand-in's "container" is this machine.
    const { o, stored, lines } = await deployWith('docker-derived', { mode: 'docker', socket: proxy.socket, container: 'web', servedCheck: { host: '127.0.0.1' } }, {}).finally(() => proxy.close());
    expect(o).toEqual({ name: 'site', ok: true });
    expect(proxy.requests.filter((r) => r === 'POST /v1.43/containers/web/exec')).toHaveLength(3);
    const served = lines.find((l) => l.msg === 'new certificate is being served by every server block using it');
    expect(served?.checked).toEqual([`${nginx.conf}:10 127.0.0.1:${nginx.port}`]);
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  });

  it('docker: a broken config fails nginx -t inside the container (exit code and output from the stream); files restored, no reload', async () => {
    const before = await readFile(join(ssl(), 'fullchain.pem'), 'utf8');
    await nginx.breakConfig();
    try {
      engine.requests.length = 0;
      const { o } = await deployWith('docker-broken', { mode: 'docker', socket: engine.socket, container: 'web' });
      expect(o.ok).toBe(false);
      expect(o.error!.message).toMatch(/nginx \(in container web\) exited with status 1; the previous files were restored and the server was not reloaded: .*unknown directive "this_is_not_a_directive"/);
      expect(engine.requests.filter((r) => r.endsWith('/exec'))).toHaveLength(1);
    } finally {
      await nginx.repairConfig();
    }
    expect(await readFile(join(ssl(), 'fullchain.pem'), 'utf8')).toBe(before);
  });

  it("docker: the Engine API's 404 and 409 answers become clear deploy errors", async () => {
    const missing = await deployWith('docker-missing', { mode: 'docker', socket: engine.socket, container: 'nope' });
    expect(missing.o.error!.message).toMatch(/docker: cannot create an exec in container "nope": No such container: nope \(HTTP 404/);
    const stopped = await deployWith('docker-stopped', { mode: 'docker', socket: engine.socket, container: 'stopped' });
    expect(stopped.o.error!.message).toMatch(/Container [0-9a-f]{64} is not running \(HTTP 409/);
    const newer = await deployWith('docker-version', { mode: 'docker', socket: engine.socket, container: 'web', apiVersion: '1.99' });
    expect(newer.o.error!.message).toMatch(/client version 1.99 is too new/);
    const noSocket = await deployWith('docker-nosocket', { mode: 'docker', socket: join(dir, 'absent.sock'), container: 'web' });
    expect(noSocket.o.error!.message).toMatch(/cannot reach the Engine API .*mount the Docker socket/);
  });

  it('certkeeper deploy --only NAME re-deploys the stored certificate without a CA; an unknown name is a usage error', async () => {
    const { file, stored } = await deployWith('cli', { test: nginx.testCommand, reload: nginx.reloadCommand });
    // Another certificate replaces the files; `deploy` puts the stored one back.
    const other = await makeLeaf(dir, ca, [domain], { base: 'cli-other' });
    await copyFile(other.cert, join(ssl(), 'fullchain.pem'));
    await copyFile(other.key, join(ssl(), 'privkey.pem'));
    const r = await runCertkeeper(['deploy', '--only', 'site', '--config', file]);
    expect(r.stderr).toMatch(/site\s+deployed/);
    expect(r.code).toBe(0);
    expect(await readFile(join(ssl(), 'fullchain.pem'), 'utf8')).toBe(stored.fullchainPem);
    expect((await stat(join(ssl(), 'privkey.pem'))).mode & 0o777).toBe(0o600);
    const bad = await runCertkeeper(['deploy', '--only', 'nope', '--config', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('certkeeper: --only nope: no such certificate; configured: site');
  });
});
