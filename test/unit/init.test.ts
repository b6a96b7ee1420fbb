import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { number, optionSpec, text } from '../../src/config/option-spec.js';
import type { ProviderDescriptor } from '../../src/dns/provider.js';
import { parseConfig } from '../../src/config/load.js';
import { en } from '../../src/i18n/catalog.js';
import { collectAnswers } from '../../src/init/answers.js';
import { checkDomains, checkEmail, parseCommand } from '../../src/init/validate.js';
import { renderConfig } from '../../src/init/render.js';
import { flagAsk } from '../../src/init/source.js';
import { UsageError } from '../../src/errors.js';
import { loadDescriptor } from '../../src/dns/registry.js';

// A provider with credentials, shaped like the cloud ones, to show how init treats secrets.
const cloud: ProviderDescriptor = {
  type: 'cloudy',
  title: 'Cloudy DNS',
  docs: 'https://example.com/docs',
  credentials: [
    { key: 'accessKeyId', env: ['CLOUDY_KEY_ID'], description: 'access key id', required: true, secret: false },
    { key: 'accessKeySecret', env: ['CLOUDY_KEY_SECRET'], description: 'access key secret', required: true, secret: true },
  ],
  options: optionSpec({ accessKeyId: text('access key id'), accessKeySecret: text('access key secret'), region: text('API region'), ttl: number('TXT TTL', { default: 600 }) }),
  create: () => {
    throw new Error('not used');
  },
};

describe('init answers', () => {
  it('credentials become ${VAR} references, required options are asked, the rest are shown commented out', async () => {
    const missing: string[] = [];
    const a = await collectAnswers(
      flagAsk({ dns: 'cloudy', 'credential.accessKeySecret': 'MY_SECRET_VAR', 'option.region': 'cn-hangzhou', domains: 'a.example.com' }, missing),
      [cloud],
      en,
    );
    expect(missing).toEqual([]);
    expect(a.dns.credentials).toEqual({ accessKeyId: 'CLOUDY_KEY_ID', accessKeySecret: 'MY_SECRET_VAR' });
    const text = renderConfig(a, undefined);
    const doc = parse(text);
    expect(doc.dns.cloudy).toEqual({ type: 'cloudy', accessKeyId: '${CLOUDY_KEY_ID}', accessKeySecret: '${MY_SECRET_VAR}', region: 'cn-hangzhou' });
    expect(text).toMatch(/^ {4}# ttl: 600\s+# TXT TTL$/m);
  });

  it('the written file for a real provider loads with config check rules', async () => {
    const exec = (await loadDescriptor('exec'))!;
    const a = await collectAnswers(flagAsk({ dns: 'exec', 'option.command': './hook.sh', domains: '*.example.com', reload: 'docker', container: 'edge' }, []), [exec], en);
    expect(a.certificate.name).toBe('example.com');
    const cfg = await parseConfig(renderConfig(a), '/tmp/x/certkeeper.yaml', {});
    expect(cfg.deploy.nginx!.reload).toEqual(['docker', 'exec', 'edge', 'nginx', '-s', 'reload']);
    expect(cfg.certificates[0]!.files).toEqual({ cert: '/etc/nginx/ssl/example.com.crt', key: '/etc/nginx/ssl/example.com.key' });
  });

  it('flag answers are checked like config values; a bad choice names its flag', async () => {
    await expect(collectAnswers(flagAsk({ dns: 'nope' }, []), [cloud], en)).rejects.toThrow(new UsageError('--dns: "nope" is not one of: cloudy'));
    await expect(collectAnswers(flagAsk({ ca: 'http://insecure.example' }, []), [cloud], en)).rejects.toThrow(/--ca: "http:\/\/insecure.example" is neither a known CA/);
    expect(checkEmail('ops@example')).toBe('is not an e-mail address');
    expect(checkDomains(['a.example.com', 'A.example.com'])).toBe('"a.example.com" is listed twice');
    expect(parseCommand('["a b", "c"]')).toEqual(['a b', 'c']);
    expect(parseCommand('[1]')).toEqual({ error: 'write the command as words, or as a JSON array of non-empty strings' });
  });
});
