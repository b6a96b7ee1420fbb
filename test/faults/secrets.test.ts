import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CliRun } from '../harness/cli.js';
import { FAULT_HOOK, makeSite, type Site } from './harness/site.js';

const pebble = inject('pebble');

// Known fake secrets, each reaching certkeeper a different way.
const SECRETS = {
  ALICLOUD_ACCESS_KEY_SECRET: 'fake-ali-secret-7f3a9c1e5b',   // env only, for the hook to use
  DNS_API_TOKEN: 'fake-dns-token-19d2e8b4a6',                // interpolated into the hook's arguments
  DEPLOY_TOKEN: 'fake-deploy-token-c0ffee4242',             // interpolated into the deploy test command
  EAB_HMAC: 'ZmFrZS1lYWItaG1hYy1rZXktZm9yLXRlc3RzLW9ubHk', // acme.eab.hmacKey
};
let leaks = 0;
const runs: CliRun[] = [];

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p, ...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('secrets never leak; keys and the data directory are private; commands never meet a shell', { timeout: 180_000 }, () => {
  let site: Site;
  let canaryDir: string;
  const hostile = (dir: string) => [`; touch ${dir}/canary-semicolon`, `$(touch ${dir}/canary-subst)`, `\`touch ${dir}/canary-backtick\``, `| touch ${dir}/canary-pipe`];

  beforeAll(async () => {
    site = await makeSite(pebble);
    canaryDir = site.dir;
    await site.reconfigure({
      dns: { hook: { type: 'exec', command: [process.execPath, FAULT_HOOK, '--token', '${DNS_API_TOKEN}', ...hostile(canaryDir)], timeout: '15s' } },
      deploy: { web: { test: [process.execPath, '-e', 'process.exit(Number(process.env.DEPLOY_FAIL ?? 0))', '--', '${DEPLOY_TOKEN}', ...hostile(canaryDir)], passEnv: ['DEPLOY_FAIL'] } },
    });
    const env = { ...SECRETS };
    runs.push(await site.renew(['--force', '--log-level', 'debug'], env));
    expect(runs[0]!.code, runs[0]!.stderr).toBe(0);
    // Names without a valid authorization: Pebble may reuse one (1 in 100), and then the failing hook is never called.
    await site.freshNames();
    runs.push(await site.renew(['--force', '--log-level', 'debug'], { ...env, FAULT: 'auth' }));
    runs.push(await site.renew(['--force', '--log-level', 'debug'], { ...env, DEPLOY_FAIL: '1' }));
    // EAB: a fresh account directory so the key is actually used to sign the account request.
    await site.reconfigure({ dataDir: join(site.dir, 'data-eab'), acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle, eab: { kid: 'kid-1', hmacKey: '${EAB_HMAC}' } } });
    runs.push(await site.renew(['--force', '--log-level', 'debug'], env));
    await site.reconfigure({ dataDir: site.dataDir, acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle } });
  }, 180_000);
  afterAll(() => console.log(`secrets: ${runs.length} runs searched, ${leaks} leaks`));

  it('the failing runs failed for the intended reasons', () => {
    expect(runs[1]!.code).toBe(1);
    expect(runs[1]!.stderr).toMatch(/InvalidAccessKeyId/);
    expect(runs[2]!.code).toBe(1);
    expect(runs[2]!.stderr).toMatch(/FAILED \(deploy\)/);
    // Pebble knows no EAB kid: the account request signed with the hmacKey is refused.
    expect(runs[3]!.code).toBe(1);
    expect(runs[3]!.stderr).toMatch(/registering the ACME account: .*'kid' references a key that is not known/);
  });

  it('no secret appears in any log line or error message, successful or failing run', () => {
    for (const r of runs) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        const found = r.stdout.includes(secret) || r.stderr.includes(secret);
        if (found) leaks++;
        expect(found, `${name} leaked in:\n${r.stderr}`).toBe(false);
      }
    }
  });

  it('no secret appears in any file written outside dataDir', async () => {
    for (const f of await walk(site.dir)) {
      if (f.startsWith(site.dataDir) || f.startsWith(join(site.dir, 'data-eab')) || (await stat(f)).isDirectory()) continue;
      const text = await readFile(f, 'utf8');
      for (const secret of Object.values(SECRETS)) {
        if (text.includes(secret)) leaks++;
        expect(text.includes(secret), `${relative(site.dir, f)} holds a secret`).toBe(false);
      }
    }
  });

  it('keys are 0600 and nothing in dataDir is readable by others', async () => {
    for (const dataDir of [site.dataDir, join(site.dir, 'data-eab')]) {
      if (!existsSync(dataDir)) continue;
      expect((await stat(dataDir)).mode & 0o007, dataDir).toBe(0);
      for (const f of await walk(dataDir)) {
        const st = await stat(f);
        if (st.isDirectory()) expect(st.mode & 0o007, `${relative(dataDir, f)}/`).toBe(0);
        if (/key\.pem$|privkey\.pem$/.test(f)) expect(st.mode & 0o777, relative(dataDir, f)).toBe(0o600);
      }
    }
    expect((await stat(site.keyFile)).mode & 0o777).toBe(0o600);
  });

  it('shell syntax in config values is inert: no canary file, though a shell would have made one', () => {
    for (const c of ['semicolon', 'subst', 'backtick', 'pipe']) expect(existsSync(join(canaryDir, `canary-${c}`)), c).toBe(false);
    // The control: the same strings through a shell do create the files, so the check can fail.
    execFileSync('sh', ['-c', `echo ${hostile(canaryDir).join(' ')}`], { stdio: 'ignore' });
    expect(['semicolon', 'subst', 'backtick', 'pipe'].filter((c) => existsSync(join(canaryDir, `canary-${c}`))).length).toBeGreaterThan(0);
  });
});
