import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCertkeeper } from '../harness/cli.js';
import { runInPty } from '../harness/pty.js';
import { tempDir } from '../harness/scenario.js';

// Several CLI processes per test; a loaded 2-core CI machine needs more than the default minute.
const SLOW = 180_000;

describe('certkeeper init', () => {
  it('asks on a terminal, re-asks after a bad answer, writes a file that config check accepts', async () => {
    const dir = await tempDir();
    const t = runInPty(['init'], { cwd: dir, timeoutMs: SLOW });
    await t.expect(/e-mail[^\n]*: $/m, 'the e-mail question');
    t.send('not-an-email');
    await t.expect(/is not an e-mail address; try again/);
    await t.expect(/e-mail[^\n]*: $/m);
    t.send('ops@example.com');
    await t.expect(/2\) letsencrypt-staging/);
    await t.expect(/Certificate authority \[letsencrypt\]: $/m);
    t.send('2');
    await t.expect(/DNS provider[^\n]*: $/m);
    t.send('exec');
    await t.expect(/command \([^\n]*: $/m, 'the exec provider option');
    t.send('./dns-hook.sh');
    await t.expect(/Domains[^\n]*: $/m);
    t.send('1.2.3.4');
    await t.expect(/"1\.2\.3\.4" is an IP address; DNS-01 certificates are for domain names only; try again/);
    t.send('pty.example.com, *.pty.example.com');
    await t.expect(/Certificate name[^\n]*\[pty\.example\.com\]: $/m);
    t.send('');
    await t.expect(/Deploy into Nginx files\? \(y\/n\) \[y\]: $/m);
    t.send('');
    await t.expect(/full chain\) Nginx reads \[\/etc\/nginx\/ssl\/pty\.example\.com\.crt\]: $/m);
    t.send('./ssl/site.crt');
    await t.expect(/private key Nginx reads[^\n]*: $/m);
    t.send('./ssl/site.key');
    await t.expect(/How is Nginx reloaded \[nginx\]: $/m);
    t.send('docker');
    await t.expect(/container \[nginx\]: $/m);
    t.send('web-1');
    await t.expect(/Data directory[^\n]*\[\.\/data\]: $/m);
    t.send('');
    await t.expect(/certkeeper renew --dry-run/);
    const { code } = await t.exit;
    expect(code).toBe(0);

    const text = await readFile(join(dir, 'certkeeper.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*config\/certkeeper\.schema\.json$/m);
    expect(parse(text)).toEqual({
      dataDir: './data',
      acme: { directory: 'letsencrypt-staging', email: 'ops@example.com' },
      dns: { exec: { type: 'exec', command: ['./dns-hook.sh'] } },
      deploy: { nginx: { test: ['docker', 'exec', 'web-1', 'nginx', '-t'], reload: ['docker', 'exec', 'web-1', 'nginx', '-s', 'reload'] } },
      certificates: [
        { name: 'pty.example.com', domains: ['pty.example.com', '*.pty.example.com'], files: { cert: './ssl/site.crt', key: './ssl/site.key' } },
      ],
    });
    const check = await runCertkeeper(['config', 'check'], { cwd: dir });
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe(`ok: ${join(dir, 'certkeeper.yaml')} (1 certificate)\n`);
  }, SLOW);

  it('takes every answer from flags without a terminal, and the result passes config check', async () => {
    const dir = await tempDir();
    const args = [
      'init', '--output', 'conf/ck.yaml', '--email', 'ops@example.com', '--ca', 'https://acme.internal.example/dir',
      '--dns', 'exec', '--dns-option', 'command=["./hook.sh", "--zone file"]', '--domain', 'a.example.com', '--domain', 'b.example.com',
      '--name', 'ab', '--cert-file', '/srv/ssl/ab.crt', '--key-file', '/srv/ssl/ab.key', '--reload', 'command',
      '--test-command', '/usr/sbin/nginx -t -q', '--reload-command', '/usr/sbin/nginx -s reload',
    ];
    const r = await runCertkeeper(args, { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/certkeeper --config conf\/ck\.yaml config check/);
    expect(r.stdout).toMatch(/certkeeper --config conf\/ck\.yaml renew --now/);
    const cfg = parse(await readFile(join(dir, 'conf/ck.yaml'), 'utf8'));
    expect(cfg.dns.exec.command).toEqual(['./hook.sh', '--zone file']);
    expect(cfg.acme.directory).toBe('https://acme.internal.example/dir');
    expect(cfg.deploy.nginx).toEqual({ test: ['/usr/sbin/nginx', '-t', '-q'], reload: ['/usr/sbin/nginx', '-s', 'reload'] });
    expect(cfg.certificates[0]).toMatchObject({ name: 'ab', domains: ['a.example.com', 'b.example.com'] });
    const check = await runCertkeeper(['--config', 'conf/ck.yaml', 'config', 'check'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^ok: .*ck\.yaml \(1 certificate\)/);
  }, SLOW);

  it('refuses to overwrite without --force, overwrites with it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'certkeeper.yaml');
    await writeFile(file, '# mine\n');
    const base = ['init', '--dns', 'exec', '--dns-option', 'command=./h.sh', '--domain', 'x.example.com', '--no-deploy'];
    const refused = await runCertkeeper(base, { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`certkeeper: ${file} exists; pass --force to overwrite it\n`);
    expect(await readFile(file, 'utf8')).toBe('# mine\n');

    const forced = await runCertkeeper([...base, '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    const cfg = parse(await readFile(file, 'utf8'));
    expect(cfg.deploy).toBeUndefined();
    expect(cfg.certificates[0].files).toBeUndefined();
  }, SLOW);

  it('missing or bad flags are usage errors naming the flag, in the chosen language', async () => {
    const other = await tempDir();
    const missing = await runCertkeeper(['init', '--dns', 'exec'], { cwd: other });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('certkeeper: init needs --dns-option command=VALUE, --domain when stdin is not a terminal\n');
    const bad = await runCertkeeper(['init', '--dns', 'exec', '--domain', 'example.com:443'], { cwd: other });
    expect(bad.stderr).toBe('certkeeper: --domain: "example.com:443" has a port; certificates cover names, not ports: remove ":443"\n');
    const zh = await runCertkeeper(['init', '--lang', 'zh-CN', '--dns', 'exec'], { cwd: other });
    expect(zh.stderr).toMatch(/标准输入不是终端时，init 需要 --dns-option command=VALUE, --domain/);
  }, SLOW);
});
