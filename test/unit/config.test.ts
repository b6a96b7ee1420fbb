import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';
import { ConfigError } from '../../src/errors.js';

const base = `
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
certificates:
  - name: api
    domains: [api.example.com]
`;

async function issues(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('configuration', () => {
  it('applies defaults and resolves paths against the config file', async () => {
    const c = await parseConfig(base, '/etc/certkeeper/certkeeper.yaml', {});
    expect(c.dataDir).toBe('/etc/certkeeper/data');
    expect(c.acme.directory).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(c.renew.beforeDays).toBe(30);
    expect(c.propagation.timeout).toBe(300_000);
    expect(c.certificates[0]).toMatchObject({ dns: 'hooks', keyType: 'ecdsa-p256', reuseKey: false });
  });

  it('interpolates ${VAR} and ${VAR:-default} in values only', async () => {
    const c = await parseConfig(`${base}acme: { email: "\${MAIL}", directory: "\${CA:-letsencrypt-staging}" }\n`, '/x/c.yaml', { MAIL: 'a@b.example' });
    expect(c.acme.email).toBe('a@b.example');
    expect(c.acme.directory).toContain('staging');
  });

  it('names a missing or empty environment variable with its path', async () => {
    expect(await issues(`${base}acme: { email: "\${NOPE}" }\n`)).toEqual([
      'acme.email: environment variable NOPE is not set; set it, or write ${NOPE:-default}',
    ]);
    expect((await issues(`${base}acme: { email: "\${EMPTY}" }\n`, { EMPTY: '' }))[0]).toMatch(/EMPTY is set but empty/);
  });

  it('reports every bad name with its path', async () => {
    const out = await issues(base.replace('[api.example.com]', '[api.example.com, "10.0.0.1", "x.example.com:8443"]'));
    expect(out).toEqual([
      'certificates[0].domains[1]: "10.0.0.1" is an IP address; DNS-01 certificates are for domain names only',
      'certificates[0].domains[2]: "x.example.com:8443" has a port; certificates cover names, not ports: remove ":8443"',
    ]);
    expect(await issues(base.replace('[api.example.com]', '[api.example.com, API.example.com]'))).toEqual([
      'certificates[0].domains[1]: "api.example.com" is listed twice',
    ]);
  });

  it('catches unknown keys, bad enums, unknown references and unknown providers', async () => {
    expect(await issues(`${base}    keytype: rsa\n`)).toEqual(['certificates[0]: unknown key "keytype"; check the spelling']);
    expect((await issues(`${base}    keyType: rsa-1024\n`))[0]).toMatch(/^certificates\[0\]\.keyType: must be one of: ecdsa-p256/);
    expect(await issues(`${base}    dns: nope\n`)).toEqual(['certificates[0].dns: no dns entry named "nope"; defined: hooks']);
    expect((await issues(base.replace('type: exec', 'type: nosuch')))[0]).toMatch(/^dns\.hooks\.type: unknown provider "nosuch"; available: .*exec/);
    expect(await issues(base.replace('command: ["./hook.sh"]', 'command: []'))).toEqual([
      'dns.hooks.command: give the command as a non-empty list, e.g. ["nginx", "-t"]',
    ]);
    expect((await issues(`${base}propagation: { timeout: soon }\n`))[0]).toMatch(/^propagation\.timeout: "soon" is not a duration/);
  });

  it('reports YAML syntax errors with line and column', async () => {
    expect((await issues('certificates: [\n'))[0]).toMatch(/certkeeper\.yaml:\d+:\d+: /);
  });

  it('reports only the first YAML syntax error, with the line, a caret under the spot and a hint', async () => {
    // One unquoted ${VAR} in a flow map used to give one line for every token after it (21 here).
    const text = 'dataDir: ./data\ndns:\n  ali: { type: alidns, accessKeyId: ${ALI_ID}, accessKeySecret: ${ALI_SECRET} }\ncertificates: []\n';
    expect(await issues(text)).toEqual([
      [
        ': /etc/certkeeper/certkeeper.yaml:3:38: Unexpected flow-map-start at node end',
        '  3 |   ali: { type: alidns, accessKeyId: ${ALI_ID}, accessKeySecret: ${ALI_SECRET} }',
        '    |                                      ^',
        '  hint: quote values that start with "$" or "{", e.g. accessKeyId: "${ALI_ID}"',
      ].join('\n'),
    ]);
    // A long line is cut to a window around the spot; an error at the end of the input points at the last line.
    const long = await issues(`a: [${'1, '.repeat(60)}\${X}]\n`);
    expect(long[0]!.split('\n')[1]).toMatch(/^  1 \| …[, 1]+\$\{X\}\]$/);
    expect(long[0]!.split('\n')[2]!.indexOf('^')).toBe(long[0]!.split('\n')[1]!.indexOf('{X}'));
    const unterminated = (await issues('dataDir: "./data\n\n'))[0]!.split('\n');
    expect(unterminated[0]).toMatch(/certkeeper\.yaml:1:17: Missing closing "quote$/);
    expect(unterminated[1]).toBe('  1 | dataDir: "./data');
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration(3)).toBe(3000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
