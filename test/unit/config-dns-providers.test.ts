import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const issues = async (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', env);
    return [];
  } catch (err) {
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
};

describe('config for the issue-4 providers and alias mode', () => {
  it('accepts a dns mapping per target zone and challengeAlias', async () => {
    const c = await parseConfig(
      `dns:\n  cf: { type: cloudflare }\n  local: { type: builtin, zone: acme.example.net }\ncertificates:\n  - { name: a, domains: [a.example.com], dns: { acme.example.net: local, example.com: cf }, challengeAlias: acme.example.net }\n`,
      '/x/c.yaml',
      { CLOUDFLARE_API_TOKEN: 'tok' },
    );
    expect(c.certificates[0]!.dns).toEqual({ 'acme.example.net': 'local', 'example.com': 'cf' });
    expect(c.certificates[0]!.challengeAlias).toBe('acme.example.net');
    expect(c.dns.cf!.options.apiToken).toBe('tok');
    expect(c.propagation.minorityFailure).toBe('ignore');
    expect(c.propagation.doh[0]).toBe('https://dns.alidns.com/dns-query');
  });
  it('names an unknown entry in a dns mapping, missing credentials and bad options by path', async () => {
    expect(await issues(`dns:\n  cf: { type: cloudflare, apiToken: t }\ncertificates:\n  - { name: a, domains: [a.example.com], dns: { example.com: nope } }\n`)).toEqual([
      'certificates[0].dns["example.com"]: no dns entry named "nope"; defined: cf',
    ]);
    expect(await issues(`dns:\n  b: { type: rfc2136, server: "127.0.0.1:53", keyName: k }\n`)).toEqual([
      'dns.b.secret: missing; set RFC2136_TSIG_SECRET (or RFC2136_TSIG_SECRET_FILE), or give secret in the config',
    ]);
    expect(await issues(`dns:\n  b: { type: rfc2136, server: "127.0.0.1:53", keyName: k, secret: "short" }\n`)).toEqual([
      'dns.b.secret: must be the base64 key secret (at least 16 bytes)',
    ]);
    expect(await issues(`propagation: { minorityFailure: sometimes }\n`)).toEqual(['propagation.minorityFailure: must be one of: wait, ignore']);
  });
});
