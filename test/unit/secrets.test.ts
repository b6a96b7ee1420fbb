import { Writable } from 'node:stream';
import { optionSpec, text } from '../../src/config/option-spec.js';
import { describe, expect, it } from 'vitest';
import type { ProviderDescriptor } from '../../src/dns/provider.js';
import { parseConfig } from '../../src/config/load.js';
import { loadAllDescriptors } from '../../src/dns/registry.js';
import { TARGET_DESCRIPTORS } from '../../src/targets/registry.js';
import { dnsSecrets } from '../../src/ops/notify/scrub.js';
import { createLogger, type LogOptions } from '../../src/log.js';
import { CHANNEL_SECRET_FIELDS, PROVIDER_CREDENTIAL_FIELDS, redactFields, scrubText, secretFieldNames } from '../../src/secrets.js';

/** A logger writing JSON lines into a string. */
async function capture(opts: Omit<LogOptions, 'destination'> = {}) {
  let out = '';
  const destination = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
  const logger = await createLogger({ ...opts, destination });
  return { logger, text: () => out };
}

// A provider whose credential has a name no list would guess: neither "secret", "token" nor "password".
const zonecast: ProviderDescriptor = {
  type: 'zonecast',
  title: 'Zonecast',
  docs: 'https://zonecast.example.com/api',
  credentials: [{ key: 'zoneCookie', env: ['ZONECAST_COOKIE'], description: 'session cookie', required: true, secret: true }],
  options: optionSpec({ zoneCookie: text('session cookie') }),
  create: () => {
    throw new Error('not used');
  },
};

describe('log redaction', () => {
  it('hides a credential of a new provider by its descriptor, whatever the field is called, at any depth', async () => {
    const fields = secretFieldNames([...(await loadAllDescriptors()), zonecast]);
    const { logger, text } = await capture({ secretFields: fields });
    const cookie = 'zc-cookie-5f1e0a9b77';
    logger.info({ zoneCookie: cookie }, 'top level');
    logger.info({ config: { dns: { zc: { type: 'zonecast', zoneCookie: cookie } } } }, 'four levels down');
    logger.child({ options: { zoneCookie: cookie } }).warn('in a child binding');
    logger.error({ err: Object.assign(new Error('request failed'), { request: { zoneCookie: cookie } }) }, 'in an error');
    logger.warn({ err: 'a message, not an Error, stays a string' }, 'err as text');
    expect(JSON.parse(text().split('\n')[4]!).err).toBe('a message, not an Error, stays a string');
    expect(text().split('\n').filter(Boolean)).toHaveLength(5);
    expect(text()).not.toContain(cookie);
    expect(text().match(/\[redacted\]/g)).toHaveLength(4);
    // Without the descriptor the field is not known: the redaction really comes from it.
    const { logger: plain, text: plainText } = await capture({ secretFields: secretFieldNames([]) });
    plain.info({ zoneCookie: cookie });
    expect(plainText()).toContain(cookie);
  });

  it('by default covers every installed provider, the alert channels and the EAB key, deeper than three levels', async () => {
    const { logger, text } = await capture();
    const values = {
      ali: 'ali-secret-0b8c7d6e5f',
      tencent: 'tc-secret-9a8b7c6d5e',
      cf: 'cf-token-1a2b3c4d5e',
      tsig: 'dHNpZy1zZWNyZXQtZm9yLXRlc3Rz',
      hook: 'wecom-key-77aa88bb99',
      header: 'Bearer webhook-abc-123456',
      smtp: 'smtp-pass-4d5e6f7a8b',
      eab: 'ZWFiLWhtYWMta2V5LWZvci10ZXN0cw',
    };
    logger.info({
      config: {
        dns: {
          ali: { type: 'alidns', accessKeyId: 'LTAI5tEXAMPLEID', accessKeySecret: values.ali },
          tc: { type: 'tencentcloud', secretId: 'AKIDexample', secretKey: values.tencent },
          cf: { type: 'cloudflare', apiToken: values.cf },
          ns: { type: 'rfc2136', keyName: 'acme-key', secret: values.tsig },
        },
        notify: {
          channels: [
            { type: 'wecom', url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${values.hook}` },
            { type: 'webhook', url: 'https://hooks.example.com/in', headers: { Authorization: values.header } },
            { type: 'email', host: 'smtp.example.com', password: values.smtp },
          ],
        },
        acme: { eab: { kid: 'kid-1', hmacKey: values.eab } },
      },
    });
    for (const [what, v] of Object.entries(values)) expect(text(), what).not.toContain(v);
    expect(text()).not.toContain('LTAI5tEXAMPLEID');
    expect(text()).toContain('smtp.example.com');
  });
});

describe('one list of secret patterns', () => {
  it('lists every credential field of every installed provider and cloud target, so the logger need not load them', async () => {
    const descriptors = [...(await loadAllDescriptors()), ...TARGET_DESCRIPTORS];
    const fromDescriptors = Object.fromEntries(descriptors.map((d) => [d.type, d.credentials.map((c) => c.key)]));
    expect(PROVIDER_CREDENTIAL_FIELDS).toEqual(fromDescriptors);
  });

  it('lists a secret field for every alert channel type', () => {
    expect(Object.keys(CHANNEL_SECRET_FIELDS).sort()).toEqual(['dingtalk', 'email', 'feishu', 'lark', 'slack', 'webhook', 'wecom']);
  });

  it('scrubs secret-named parameters in vendor texts and URLs, and known values, leaving other words', () => {
    const censor = '<x>';
    expect(scrubText('GET /send?key=k123&access_token=t456&page=2', [], censor)).toBe('GET /send?key=<x>&access_token=<x>&page=2');
    expect(scrubText('AccessKeyId%3DLTAI5t%26Signature%3Dabc', [], censor)).toBe('AccessKeyId%3D<x>');
    expect(scrubText('SecurityToken: st-1, SecretId=AKID2 timestamp=17000', [], censor)).toBe('SecurityToken: <x>, SecretId=<x> timestamp=17000');
    expect(scrubText('refresh_token=r1 sign=s2 clientSecret=c3', [], censor)).toBe('refresh_token=<x> sign=<x> clientSecret=<x>');
    // A parameter inside the value of one that is not secret ("https:") is still found.
    expect(scrubText('refused (https://x/?access_token=abc123) url: https://y/?sign=s9', [], censor)).toBe('refused (https://x/?access_token=<x> url: https://y/?sign=<x>');
    // "key" is a secret only as a query parameter, not in prose.
    expect(scrubText('cannot read key: ENOENT', [], censor)).toBe('cannot read key: ENOENT');
    expect(scrubText('the value s3cr3t-value and s3cr3t-value-long leaked', ['s3cr3t-value', 's3cr3t-value-long', 'ab'], censor)).toBe(
      'the value <x> and <x> leaked',
    );
  });

  it('alerts are scrubbed of the DNS credentials their descriptors name, from the config or the environment', async () => {
    const text = 'dns:\n  ali: { type: alidns, accessKeyId: LTAI5tEXAMPLEID }\n  ns: { type: rfc2136, server: 127.0.0.1, keyName: acme-key, secret: dHNpZy1zZWNyZXQtZm9yLXRlc3Rz }\n';
    const config = await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'ali-secret-from-env' });
    expect(dnsSecrets(config.dns).sort()).toEqual(['LTAI5tEXAMPLEID', 'acme-key', 'ali-secret-from-env', 'dHNpZy1zZWNyZXQtZm9yLXRlc3Rz']);
  });

  it('copies objects instead of changing them, and survives cycles', () => {
    const fields = secretFieldNames([]);
    const input: Record<string, unknown> = { password: 'p', nested: { list: [{ token: 't' }, 'x?sign=abc'] } };
    input.self = input;
    const out = redactFields(input, fields, '*') as Record<string, any>;
    expect(out).toEqual({ password: '*', nested: { list: [{ token: '*' }, 'x?sign=*'] }, self: '[circular]' });
    expect(input.password).toBe('p');
  });
});
