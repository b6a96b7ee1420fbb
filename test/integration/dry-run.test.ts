import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCertkeeper } from '../harness/cli.js';
import { runInPty } from '../harness/pty.js';
import { hookEnv, pebbleConfig, RECORD, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');

/** A config whose certificate would be deployed to files that already exist, with recorded deploy commands. */
async function scenario(label: string) {
  const dir = await tempDir();
  const domain = uniqueDomain(label);
  const ssl = join(dir, 'ssl');
  await mkdir(ssl);
  await writeFile(join(ssl, 'site.crt'), 'the working certificate\n');
  await writeFile(join(ssl, 'site.key'), 'the working key\n', { mode: 0o600 });
  const commandLog = join(dir, 'commands.log');
  const file = await writeConfig(dir, {
    ...pebbleConfig(pebble, join(dir, 'data')),
    deploy: { web: { test: [process.execPath, RECORD, commandLog, 'test', '/bin/true'], reload: [process.execPath, RECORD, commandLog, 'reload', '/bin/true'] } },
    certificates: [{ name: 'site', domains: [domain, `*.${domain}`], files: { cert: join(ssl, 'site.crt'), key: join(ssl, 'site.key') } }],
  });
  const untouched = async () => {
    expect(await readFile(join(ssl, 'site.crt'), 'utf8')).toBe('the working certificate\n');
    expect(await readFile(join(ssl, 'site.key'), 'utf8')).toBe('the working key\n');
    expect(existsSync(commandLog)).toBe(false); // neither tested nor reloaded
    expect(existsSync(join(dir, 'data/certs'))).toBe(false);
    expect(existsSync(join(dir, 'data/archive'))).toBe(false);
  };
  return { dir, file, untouched };
}

describe('renew --dry-run against Pebble', () => {
  it('issues the whole order but stores and deploys nothing; plain progress lines without a terminal', async () => {
    const s = await scenario('dry');
    const r = await runCertkeeper(['renew', '--dry-run', '--config', s.file], { env: hookEnv(pebble) });
    expect(r.code).toBe(0);
    const steps = r.stderr.split('\n').filter((l) => /^\[\s*\d/.test(l)).map((l) => l.replace(/^\[[^\]]+\] /, ''));
    expect(steps).toEqual(['site: ordering', 'site: TXT written', 'site: propagated', 'site: validated', 'site: issued']);
    expect(r.stderr).toMatch(/^site\s+issued \(dry run, not stored\)\s+\d+\s+\d+\.\ds$/m);
    await s.untouched();
    // Only the ACME account was kept (so a later real run need not register again).
    expect(await readdir(join(s.dir, 'data'))).not.toContain('certs');
  }, 180_000);

  it('on a terminal: the certificate line is redrawn through its steps, then the summary (in Chinese with --lang)', async () => {
    const s = await scenario('drytty');
    const t = runInPty(['renew', '--dry-run', '--lang', 'zh-CN', '--config', s.file], { cwd: s.dir, env: hookEnv(pebble), timeoutMs: 170_000 });
    const { code, output } = await t.exit;
    expect(code).toBe(0);
    // Each redraw moves the cursor back up over the line and clears it.
    expect(output).toContain('\x1b[1A\r\x1b[2K');
    expect(output).toMatch(/✓ site  下单中 → TXT 已写入 → 已生效 → 已验证 → 已签发  \d+\.\ds/);
    expect(output).toMatch(/名称\s+结果\s+剩余天数\s+耗时/);
    expect(output).toMatch(/site\s+已签发（演练，未保存）/);
    // No JSON log lines tear the frame on a terminal.
    expect(output).not.toMatch(/"level":/);
    await s.untouched();
  }, 180_000);
});
