import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { FIXED_MESSAGES } from '../../src/i18n/config-rules.js';
import { REPO } from '../harness/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-lang-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `dataDir: ./data
dns:
  ali: { type: alidns, accessKeyId: id, accessKeySecret: secret }
certificates:
  - name: www
    domains: [www.example.com]
`;

/** Bad input, each with what it is: configurations for `config check`, and command lines. */
const CONFIGS: Record<string, string> = {
  'yaml-syntax': 'dns: {ali: ${X}}\n',
  'not-a-mapping': '- a\n- b\n',
  'types-and-keys': `dataDir: 5
acme: { email: not-mail, directory: letsencrypt }
bogus: 1
renew: { beforeDays: -1, schedule: "not cron", passTimeout: soon }
dns:
  ali: { type: alidns, accessKeyId: id, accessKeySecret: s, ttl: "x" }
  other: { type: nosuch }
certificates:
  - name: "a/b"
    domains: [a_b.example.com, www.example.local, 1.2.3.4, "*.com"]
    dns: nope
  - name: dup
    domains: []
  - name: dup
    domains: [x.example.com, x.example.com]
    targets:
      - { layout: pfx, dir: ./out }
      - { layout: nginx, paths: { combined: ./c.pem } }
`,
  'environment': 'dataDir: \${CK_UNSET_VAR}\nacme: { email: "\${CK_EMPTY_VAR}" }\n',
  'credentials': 'dns:\n  ali: { type: alidns }\n  other: { type: nosuch }\ncertificates: [{ name: www, domains: [www.example.com], dns: ali }]\n',
  'deploy-entries': `dns:
  a: { type: alidns }
  b: { type: tencentcloud }
deploy:
  one: { mode: signal, signal: SIGUSR2 }
  two: { mode: docker }
certificates:
  - name: www
    domains: [www.example.com]
    targets: [{ dir: ./out }]
`,
};

const COMMANDS: [string, string[]][] = [
  ['missing-file', ['config', 'check', '--config', join(dir, 'nope.yaml')]],
  ['unknown-certificate', ['renew', '--now', '--only', 'nosuch', '--config', join(dir, 'good.yaml')]],
  ['bad-wait', ['renew', '--now', '--wait', 'soon', '--config', join(dir, 'good.yaml')]],
  ['nginx-conf-unknown', ['nginx-conf', 'nosuch', '--config', join(dir, 'good.yaml')]],
  ['dns-unknown-entry', ['dns', 'test', 'nosuch', '--config', join(dir, 'good.yaml')]],
  ['check-not-https', ['check', 'http://www.example.com']],
];

async function run(args: string[], lang: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const sink = new Writable({ write: (c, _e, cb) => ((stderr += c.toString()), cb()) });
  process.exitCode = undefined;
  const code = await runCli(['--lang', lang, ...args], { env: { CK_EMPTY_VAR: '' }, cwd: dir, stdout: sink, stderr: sink, now: () => new Date() });
  process.exitCode = undefined;
  return { code, stderr };
}

/**
 * The English words of a Chinese line that it should not hold. It may hold identifiers, the words the
 * user wrote (config text, command line), names of keys, types, protocols and tools, and the YAML
 * parser's own words, quoted in parentheses.
 */
function englishWords(line: string, input: string): string[] {
  const own = line.replace(/YAML 语法错误（[^）]*）/, '');
  const known = new Set(['certkeeper', 'yaml', 'dns', 'idna', 'label', 'labels', 'https', 'http', 'url', 'cron', 'pfx', 'nginx', 'pid', 'key', 'value', 'sighup', 'sigusr2', 'string', 'number', 'int', 'file', 'ca', 'forum', 'browser', 'com', 'co', 'uk', 'example', 'www', 'default', 'acme', 'cabundle', 'passwordenv', 'password', 'pidfile', 'container', 'signal', 'docker', 'paths', 'dir', 'nosuch', 'domain', 'only', 'wait', 'the', 'datadir', 'certificates', 'run', 'host', 'port', 'alidns', 'tencentcloud', 'cloudflare', 'builtin', 'exec']);
  const allowed = (w: string) => known.has(w.toLowerCase()) || input.toLowerCase().includes(w.toLowerCase());
  // Identifiers (ENV_NAMES, camelCase keys) are names, not prose: only plain words count.
  const words = (own.match(/[A-Za-z][A-Za-z0-9_]*/g) ?? []).filter((w) => /^[A-Z]?[a-z]{2,}$/.test(w));
  return words.filter((w) => !allowed(w));
}

describe('--lang zh-CN: errors are Chinese, not English after a Chinese prefix', () => {
  writeFileSync(join(dir, 'good.yaml'), GOOD);
  const cases: [string, string[], string][] = [
    ...Object.entries(CONFIGS).map(([name, text]): [string, string[], string] => {
      writeFileSync(join(dir, `${name}.yaml`), text);
      return [name, ['config', 'check', '--config', join(dir, `${name}.yaml`)], text];
    }),
    ...COMMANDS.map(([name, args]): [string, string[], string] => [name, args, `${args.join(' ')}\n${GOOD}`]),
  ];

  it.each(cases)('%s', async (_name, args, input) => {
    const [zh, en] = [await run(args, 'zh-CN'), await run(args, 'en')];
    expect(zh.code).toBe(en.code);
    expect(zh.code).not.toBe(0);
    const lines = zh.stderr.split('\n').filter((l) => l !== '' && !/^ {2}(\d+ | +)\|/.test(l)); // not the code frame
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line, zh.stderr).toMatch(/[\u4e00-\u9fff]/);
      expect(englishWords(line.replace(new RegExp(`${dir}/[^:：]*`), ''), input), line).toEqual([]);
    }
    // The same errors, one line for one line, and the English ones have no Chinese in them.
    expect(lines.length).toBe(en.stderr.split('\n').filter((l) => l !== '' && !/^ {2}(\d+ | +)\|/.test(l)).length);
    expect(en.stderr).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('the check sees English prose after a Chinese prefix', () => {
    expect(englishWords('certkeeper: 配置: dataDir: is required', 'dataDir: 5')).toEqual(['is', 'required']);
    expect(englishWords('certkeeper: 配置: dataDir: 必须填写', 'dataDir: 5')).toEqual([]);
  });
});

describe('one catalog', () => {
  const sources = (d: string): string[] =>
    readdirSync(join(REPO, d)).flatMap((n) => (statSync(join(REPO, d, n)).isDirectory() ? sources(`${d}/${n}`) : n.endsWith('.ts') ? [`${d}/${n}`] : []));

  it('the CLI and the alert messages hold no translation of their own: their text is in src/i18n', () => {
    const own = [...sources('src/cli'), ...sources('src/ops/notify').filter((f) => !f.endsWith('/config.ts'))];
    expect(own.filter((f) => /[\u4e00-\u9fff]/.test(readFileSync(join(REPO, f), 'utf8')))).toEqual([]);
  });

  it('every fixed message a schema gives zod has a Chinese translation', () => {
    const files = [...sources('src/config'), 'src/ops/notify/config.ts', 'src/ops/endpoint-config.ts', ...sources('providers')];
    const fixed = files.flatMap((f) =>
      // The message argument of a zod check (one level of parentheses inside it), of .email(), or an error: option.
      [...readFileSync(join(REPO, f), 'utf8').matchAll(/\.(?:regex|min|max|refine)\((?:[^()]|\([^()]*\))*?,\s*'([^']+)'\s*\)|\.email\(\s*'([^']+)'|\berror:\s*'([^']+)'/g)].map((m) => (m[1] ?? m[2] ?? m[3])!),
    );
    expect(fixed.length).toBeGreaterThan(10);
    expect(fixed.filter((m) => !FIXED_MESSAGES.includes(m))).toEqual([]);
  });
});
