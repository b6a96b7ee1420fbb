import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, logLines, type CliRun } from '../harness/cli.js';
import { NEVER_CONTACTED_CA, storeLeaf } from '../harness/deploy.js';
import { inNewPidNamespace, nsenterArgv, pidNamespacesUnavailable, type NamespacedProcess } from '../harness/namespaces.js';
import { writeNginxConfig, type NginxSetup } from '../harness/nginx.js';
import { freePort, waitFor } from '../harness/ports.js';
import { HOOK, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const unavailable = pidNamespacesUnavailable();
if (unavailable) console.warn(`signal mode with Nginx as PID 1: skipped, ${unavailable}`);

/** Runs argv (already wrapped in nsenter/unshare) and collects what it printed. */
function runIn(argv: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The documented sidecar: Nginx is PID 1 of its container and certkeeper shares that PID namespace
 * (compose `pid: "service:nginx"`). Here Nginx runs in the foreground as PID 1 of a new PID namespace
 * (`unshare --pid --fork --mount-proc`) and `certkeeper deploy` runs inside it through nsenter.
 */
describe.skipIf(unavailable)('signal mode against Nginx running as PID 1 of its PID namespace', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxSetup;
  let ns: NamespacedProcess;
  let port: number;
  const domain = uniqueDomain('pid1');
  const ssl = () => join(dir, 'ssl');

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'pid1 CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    await mkdir(ssl());
    await copyFile(old.cert, join(ssl(), 'fullchain.pem'));
    await copyFile(old.key, join(ssl(), 'privkey.pem'));
    port = await freePort();
    nginx = await writeNginxConfig(
      join(dir, 'nginx'),
      `  server {\n    listen 127.0.0.1:${port} ssl;\n    server_name ${domain};\n    ssl_certificate ${ssl()}/fullchain.pem;\n    ssl_certificate_key ${ssl()}/privkey.pem;\n  }`,
    );
    ns = await inNewPidNamespace([...nginx.base, '-g', 'daemon off;'], { mountProc: true });
    await waitFor(() => servedCertificate(port, domain).then(() => true), 'nginx to start as PID 1');
  });
  afterAll(() => {
    if (ns && ns.proc.exitCode === null) ns.proc.kill('SIGKILL');
  });

  /** `certkeeper deploy` of a new certificate, run inside Nginx's PID and mount namespaces (or `argvFor`'s). */
  async function deploy(sub: string, entry: Record<string, unknown>, argvFor = (cli: string[]) => nsenterArgv(ns.initPid, REPO, cli)) {
    const file = await writeConfig(join(dir, sub), {
      dataDir: join(dir, 'data'),
      // A private CA that is never contacted: the .test names need not be public.
      acme: { directory: NEVER_CONTACTED_CA, caBundle: join(dir, 'ca.pem') },
      dns: { hooks: { type: 'exec', command: [process.execPath, HOOK] } },
      deploy: { nginx: { mode: 'signal', ...entry } },
      certificates: [{ name: 'site', domains: [domain], targets: [{ dir: ssl() }] }],
    });
    const stored = await storeLeaf(join(dir, 'data'), 'site', ca, [domain], `new-${sub}`);
    const r = await runIn(argvFor([process.execPath, CLI, 'deploy', '--config', file]));
    return { r, stored, logs: logLines(r.stdout) };
  }

  it('reads PID 1 from the pid file, sees an Nginx master in /proc, sends SIGHUP; the new certificate is served and checked', async () => {
    expect((await readFile(nginx.pidFile, 'utf8')).trim()).toBe('1');
    const { r, stored, logs } = await deploy('pidfile', { pidFile: nginx.pidFile, test: [...nginx.base, '-t', '-q'] });
    expect(r.stderr).toMatch(/site\s+deployed/);
    expect(r.code).toBe(0);
    expect(logs.find((l) => l.msg === 'server reloaded')?.output).toBe('sent SIGHUP to 1');
    // The served-certificate check read nginx -T the way the test ran (inside the sidecar) and probed the block.
    expect(logs.find((l) => l.msg === 'new certificate is being served by every server block using it')?.checked).toEqual([`${nginx.conf}:9 127.0.0.1:${port} ${domain}`]);
    // An old worker may still take a connection while it winds down.
    await waitFor(async () => (await servedCertificate(port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  });

  it('pid: 1 without a pid file works the same', async () => {
    const { r, stored, logs } = await deploy('pid', { pid: 1 });
    expect(r.code).toBe(0);
    expect(logs.find((l) => l.msg === 'server reloaded')?.output).toBe('sent SIGHUP to 1');
    await waitFor(async () => (await servedCertificate(port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  });

  it('refuses to signal a PID 1 that is not Nginx (the PID namespace not shared) and restores the files', async () => {
    const before = await readFile(join(ssl(), 'fullchain.pem'), 'utf8');
    // Its own PID namespace: PID 1 is the certkeeper process itself, as in a sidecar without pid: "service:nginx".
    const { r } = await deploy('unshared', { pid: 1 }, (cli) => ['unshare', '--pid', '--fork', '--mount-proc', ...cli]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED: .*process 1 is "node" \(.*\), not an Nginx master process \(pid\); nothing was signalled: share Nginx's PID namespace \(compose: pid: "service:nginx"\)/);
    expect(await readFile(join(ssl(), 'fullchain.pem'), 'utf8')).toBe(before);
    expect(ns.proc.exitCode).toBeNull();
  });
});
