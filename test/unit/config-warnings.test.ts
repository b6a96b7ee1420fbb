import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/load.js';
import { configWarnings } from '../../src/scheduler/warnings.js';
import { Daemon } from '../../src/scheduler/daemon.js';
import { memoryLogger } from '../harness/deploy.js';
import { tempDir, writeConfig } from '../harness/scenario.js';

const head = 'dns:\n  hooks: { type: exec, command: ["./hook.sh"] }\n';
const warnings = async (text: string) => configWarnings(await parseConfig(`${head}${text}`, '/etc/certkeeper/certkeeper.yaml', {})).map((w) => `${w.path}: ${w.message}`);

describe('configuration warnings', () => {
  it('files written with no deploy entry reload nothing: one line per target, unless a hook or the pfx layout explains it', async () => {
    const list = await warnings(
      'certificates:\n  - name: api\n    domains: [api.example.com]\n    files: { cert: /ssl/api.crt, key: /ssl/api.key }\n    targets:\n      - { dir: /ssl/b }\n      - { dir: /ssl/c, postDeploy: [systemctl, reload, nginx] }\n      - { layout: pfx, dir: /share, passwordEnv: PFX }\n',
    );
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^certificates\[0\]\.files: no deploy entry: new files are written but no server is told, so Nginx keeps serving the old certificate .*add one under deploy:/);
    expect(list[1]).toMatch(/^certificates\[0\]\.targets\[0\]: no deploy entry/);
    expect(await warnings('deploy:\n  nginx: { test: [nginx, -t], reload: [nginx, -s, reload] }\ncertificates:\n  - name: api\n    domains: [api.example.com]\n    files: { cert: /ssl/api.crt, key: /ssl/api.key }\n')).toEqual([]);
  });

  it('a served-certificate check with no way to read nginx -T is named, unless verify: or servedCheck says otherwise', async () => {
    const site = (target: string) => `certificates:\n  - name: api\n    domains: [api.example.com]\n    targets: [{ dir: /ssl${target} }]\n`;
    const service = 'deploy:\n  nginx: { test: [systemctl, start, certkeeper-nginx-test.service], reload: [systemctl, reload, nginx.service]';
    expect(await warnings(`${service} }\n${site('')}`)).toEqual([expect.stringMatching(/^deploy\.nginx\.servedCheck: the served-certificate check cannot read the Nginx configuration.*servedCheck\.configDump/)]);
    expect(await warnings(`${service}, servedCheck: { configDump: [cat, /var/lib/certkeeper/nginx-T.conf] } }\n${site('')}`)).toEqual([]);
    expect(await warnings(`${service}, servedCheck: false }\n${site('')}`)).toEqual([]);
    expect(await warnings(`${service} }\n${site(', verify: { address: "127.0.0.1:443" }')}`)).toEqual([]);
  });

  it('an email channel that may log in without TLS (requireTLS: false) is named', async () => {
    const mail = (extra: string) => `notify:\n  - { type: email, host: smtp.example.com, from: ck@example.com, to: [ops@example.com], user: ck, password: pw${extra} }\n`;
    expect(await warnings(mail(', requireTLS: false'))).toEqual([expect.stringMatching(/^notify\.channels\[0\]\.requireTLS: requireTLS: false lets the SMTP password go to smtp\.example\.com:587 in clear text/)]);
    expect(await warnings(mail(''))).toEqual([]);
  });

  it('config check prints them as warning lines and still says ok; the daemon logs them at start', async () => {
    const dir = await tempDir();
    const file = await writeConfig(dir, { dns: { hooks: { type: 'exec', command: ['./hook.sh'] } }, certificates: [{ name: 'api', domains: ['api.example.com'], files: { cert: `${dir}/a.crt`, key: `${dir}/a.key` } }] });
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(c.toString()), cb()) });
    const code = await runCli(['config', 'check', '--config', file], { env: {}, cwd: dir, stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), now: () => new Date() });
    expect(code).toBe(0);
    expect(out).toBe(`ok: ${file} (1 certificate)\n`);
    expect(err).toMatch(/^warning: certificates\[0\]\.files: no deploy entry: .*\n$/);

    const { logger, lines } = memoryLogger();
    const config = await parseConfig(`${head}certificates:\n  - name: api\n    domains: [api.example.com]\n    files: { cert: /ssl/a.crt, key: /ssl/a.key }\n`, file, {});
    const d = new Daemon({ loadConfig: async () => ({ ...config, renew: { ...config.renew, schedule: '0 0 1 1 *' } }), logger, pass: async () => [] });
    await d.start();
    await d.stop();
    expect(lines.find((l) => l.path === 'certificates[0].files')).toMatchObject({ level: 40, msg: expect.stringMatching(/^no deploy entry/) });
  });
});
