import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { storeLeaf } from '../harness/deploy.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { waitFor } from '../harness/ports.js';
import { spawnCli, type RunningCli } from '../harness/process.js';
import { HOOK, hookEnv, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

const pebble = inject('pebble');
const GATED = join(REPO, 'test/fixtures/gated-command.mjs');

/**
 * Recovery rolls back whatever deploy journal it finds, so it must never run while another process
 * is mid-deploy. A `certkeeper deploy` is held inside its transaction (its `nginx -t` waits on a
 * gate); meanwhile a second `deploy` and a daemon start must leave that transaction alone.
 */
describe('deploy recovery and deploys hold the dataDir lock', () => {
  let dir: string;
  let ca: KeyPair;
  let nginx: NginxInstance;
  let file: string;
  let round = 0;
  const domain = uniqueDomain('dlock');
  const otherDomain = uniqueDomain('dlock-other');
  const running: RunningCli[] = [];
  const site = () => join(dir, 'site/fullchain.pem');
  const journal = async () => (await readdir(join(dir, 'data/deploy-journal')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  const is = (msg: string) => (l: Record<string, any>) => l.msg === msg;
  const start = (args: string[]) => {
    const p = spawnCli([...args, '--config', file], hookEnv(pebble));
    running.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = await tempDir();
    ca = await makeCa(dir, 'lock CA');
    const old = await makeLeaf(dir, ca, [domain], { base: 'old' });
    await mkdir(join(dir, 'site'));
    await copyFile(old.cert, site());
    await copyFile(old.key, join(dir, 'site/privkey.pem'));
    nginx = await startNginx(join(dir, 'nginx'), site(), join(dir, 'site/privkey.pem'));
    file = await writeConfig(dir, {
      dataDir: join(dir, 'data'),
      // A daemon's pass asks the CA only for renewal information; nothing here is due.
      acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
      renew: { beforeDays: 5, schedule: '0 0 1 1 *' },
      dns: { hooks: { type: 'exec', command: [process.execPath, HOOK] } },
      propagation: { resolvers: [pebble.dnsServer], doh: [] },
      deploy: {
        gated: { test: [process.execPath, GATED, join(dir, 'gate'), ...nginx.testCommand], reload: nginx.reloadCommand },
        plain: { test: nginx.testCommand, reload: nginx.reloadCommand },
      },
      certificates: [
        { name: 'site', domains: [domain], deploy: 'gated', targets: [{ dir: join(dir, 'site') }] },
        { name: 'other', domains: [otherDomain], deploy: 'plain', targets: [{ dir: join(dir, 'other') }] },
      ],
    });
    await storeLeaf(join(dir, 'data'), 'other', ca, [otherDomain], 'other', pebble.directoryUrl);
  });
  afterEach(() => {
    for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  /** A new certificate for `site`, and `certkeeper deploy --only site` held inside its transaction. */
  async function deployHeldMidTransaction() {
    await Promise.all(['gate', 'gate.waiting'].map((g) => rm(join(dir, g), { force: true })));
    const stored = await storeLeaf(join(dir, 'data'), 'site', ca, [domain], `new-${round++}`, pebble.directoryUrl);
    const holder = start(['deploy', '--only', 'site']);
    await waitFor(async () => existsSync(join(dir, 'gate.waiting')), 'the deploy to reach its nginx -t');
    expect(await journal()).toHaveLength(1);
    expect(await readFile(site(), 'utf8')).toBe(stored.fullchainPem);
    return { holder, stored };
  }

  async function releaseAndCheck(holder: RunningCli, stored: { fullchainPem: string; info: { fingerprint256: string } }) {
    await writeFile(join(dir, 'gate'), '');
    expect(await holder.exited).toBe(0);
    expect(holder.stderr()).toMatch(/site\s+deployed/);
    expect(await readFile(site(), 'utf8')).toBe(stored.fullchainPem);
    await waitFor(async () => (await servedCertificate(nginx.port, domain)).fingerprint256 === stored.info.fingerprint256, 'nginx to serve the new certificate');
  }

  it('a second certkeeper deploy fails at once (or waits with --wait) and never rolls back the first one', async () => {
    const { holder, stored } = await deployHeldMidTransaction();
    const impatient = await runCertkeeper(['deploy', '--only', 'other', '--config', file]);
    expect(impatient.stderr).toMatch(/another certkeeper process \(PID \d+ .*--wait SECONDS/);
    expect(impatient.code).toBe(1);
    const patient = start(['deploy', '--only', 'other', '--wait', '60']);
    await patient.waitLog(is('waiting for another certkeeper process to finish its pass'), 'deploy --wait to wait for the lock');
    expect(await journal()).toHaveLength(1);
    expect(await readFile(site(), 'utf8')).toBe(stored.fullchainPem);
    await releaseAndCheck(holder, stored);
    expect(await patient.exited).toBe(0);
    expect(patient.stderr()).toMatch(/other\s+deployed/);
    expect(await journal()).toEqual([]);
  });

  it('a daemon starting meanwhile recovers only once it holds the lock, after the deploy finished', async () => {
    const { holder, stored } = await deployHeldMidTransaction();
    const daemon = start(['run']);
    await daemon.waitLog(is('waiting for another certkeeper process to finish its pass'), 'the first pass to wait for the lock');
    expect(await journal()).toHaveLength(1);
    expect(await readFile(site(), 'utf8')).toBe(stored.fullchainPem);
    await releaseAndCheck(holder, stored);
    await daemon.waitLog(is('pass finished'), 'the daemon pass');
    expect(daemon.logs.some(is('an interrupted deploy was rolled back to the previous files'))).toBe(false);
    expect(await readFile(site(), 'utf8')).toBe(stored.fullchainPem);
    expect(await journal()).toEqual([]);
    daemon.signal('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });
});
