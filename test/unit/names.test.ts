import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { checkDomainName, notInPublicDns } from '../../src/config/names.js';
import { ConfigError } from '../../src/errors.js';

describe('checkDomainName', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM', 'api.example.com'],
    ['*.example.com', '*.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['shop.example.com.cn', 'shop.example.com.cn'],
    ['*.example.co.uk', '*.example.co.uk'],
    // An exception rule (!city.kawasaki.jp) and a private-section suffix, which its owner registered.
    ['city.kawasaki.jp', 'city.kawasaki.jp'],
    ['*.github.io', '*.github.io'],
  ])('accepts %s as %s', (input, name) => {
    expect(checkDomainName(input)).toEqual({ name });
  });

  it.each([
    ['1.2.3.4', /IP address/],
    ['::1', /IP address/],
    ['localhost', /single label|local name/],
    ['app.localhost', /local name/],
    ['example.com:443', /has a port.*remove ":443"/],
    ['https://example.com', /is a URL/],
    ['example.com/path', /contains "\/"/],
    ['example.com.', /trailing dot/],
    ['*.*.example.com', /wildcard must be the whole left-most label/],
    ['a*.example.com', /wildcard must be the whole left-most label/],
    ['example', /single label/],
    ['a..example.com', /empty label|not a valid/],
    [`${'a'.repeat(64)}.example.com`, /label of 64 characters/],
    [`${'a.'.repeat(127)}com`, /at most 253/],
    ['-bad.example.com', /starting or ending with "-"/],
    ['bad_char!.example.com', /not allowed|not a valid|with "_"/],
    // Issue 19 item 11: names a CA refuses, by the Public Suffix List's ICANN section.
    ['_u.example.com', /label "_u" with "_"; CAs do not issue/],
    ['*.co.uk', /wildcard directly under the public suffix co\.uk/],
    ['*.com.cn', /wildcard directly under the public suffix com\.cn/],
    ['*.b.kawasaki.jp', /wildcard directly under the public suffix b\.kawasaki\.jp/],
    ['co.uk', /is a public suffix/],
    ['com', /is a public suffix/],
    ['', /is empty/],
  ])('refuses %s', (input, why) => {
    const r = checkDomainName(input);
    expect('error' in r && r.error).toMatch(why);
  });
});

describe('names outside public DNS', () => {
  it.each(['example.local', 'host.internal', 'site.test', '*.corp.lan'])('%s is not in public DNS', (name) => {
    expect(notInPublicDns(name)).toMatch(/is not in public DNS: \.\w+ is not a top-level domain in the Public Suffix List/);
  });
  it.each(['example.com', '*.example.co.uk', 'xn--fiqs8s.cn', 'api.example.xn--fiqs8s'])('%s is', (name) => {
    expect(notInPublicDns(name)).toBeUndefined();
  });

  const config = (acme: string) =>
    `acme: ${acme}\ndns:\n  hooks: { type: exec, command: ["./hook.sh"] }\ncertificates:\n  - name: lan\n    domains: [www.example.com, example.local]\n`;
  async function problems(text: string): Promise<string[]> {
    try {
      await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', {});
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  }

  it('config check refuses them for a public CA, and accepts them for a private one (its TLS needs acme.caBundle)', async () => {
    const refused = /^certificates\[0\]\.domains\[1\]: "example\.local" is not in public DNS/;
    expect(await problems(config('{}'))).toEqual([expect.stringMatching(refused)]);
    expect(await problems(config('{ directory: zerossl, caBundle: /etc/ssl/proxy.pem }'))).toEqual([expect.stringMatching(refused)]);
    expect(await problems(config('{ directory: "https://acme.example.net/directory" }'))).toEqual([expect.stringMatching(refused)]);
    expect(await problems(config('{ directory: "https://ca.internal:9000/acme/acme/directory", caBundle: /etc/step/root.pem }'))).toEqual([]);
  });
});
