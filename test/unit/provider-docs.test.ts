import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { componentJsonSchema } from '../../src/config/json-schema.js';
import { loadAllDescriptors } from '../../src/dns/registry.js';
import { componentPage } from '../../src/docs/component-page.js';
import { dnsProviders } from '../../src/docs/families.js';
import { REPO } from '../harness/cli.js';

// The pages themselves are checked for staleness in reference-docs.test.ts; these check what they say.
describe('documentation generated from provider descriptors', () => {
  it('docs/providers/README.md lists every provider with its credential variables and links its page', async () => {
    const index = await readFile(join(REPO, 'docs/providers/README.md'), 'utf8');
    for (const d of await loadAllDescriptors()) {
      expect(index).toMatch(new RegExp(`^\\| \`${d.type}\` \\| \\[[^\\]]+\\]\\(${d.type}\\.md\\) \\|`, 'm'));
      for (const c of d.credentials) for (const v of c.env) expect(index).toContain(`\`${v}\``);
    }
    for (const v of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY']) expect(index).toContain(v);
  });

  it('the Alibaba Cloud and DNSPod pages carry the least-privilege policy with exactly the actions the provider calls', async () => {
    const descriptors = await loadAllDescriptors();
    const pageOf = (type: string) => componentPage(dnsProviders, descriptors.find((d) => d.type === type)!);
    const [ali, tc] = [pageOf('alidns'), pageOf('tencentcloud')];
    const actions = async (file: string) => [...(await readFile(join(REPO, file), 'utf8')).matchAll(/'((?:Describe|Add|Create|Delete)[A-Za-z]+)'/g)].map((m) => m[1]!).sort();
    const policyActions = (page: string, prefix: string) =>
      [...page.matchAll(new RegExp(`"${prefix}:([A-Za-z]+)"`, 'g'))].map((m) => m[1]!).sort();
    expect(policyActions(ali, 'alidns')).toEqual(await actions('providers/alidns.ts'));
    expect(policyActions(tc, 'dnspod')).toEqual(await actions('providers/tencentcloud.ts'));
    expect(ali).toContain('## Least-privilege access (最小权限)');
  });

  it('produces the JSON Schema block of one provider: credentials optional, file forms for secrets, unknown keys refused', async () => {
    const descriptors = await loadAllDescriptors();
    const ali = componentJsonSchema(descriptors.find((d) => d.type === 'alidns')!) as Record<string, any>;
    expect(ali.required).toBeUndefined();
    expect(ali.additionalProperties).toBe(false);
    expect(ali.properties.type.const).toBe('alidns');
    expect(ali.properties.accessKeySecret.description).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    expect(ali.properties.accessKeySecretFile.type).toBe('string');
    expect(ali.properties.accessKeyIdFile).toBeUndefined();
    expect(ali.properties.timeout.default).toBe('10s');
    const exec = componentJsonSchema(descriptors.find((d) => d.type === 'exec')!) as Record<string, any>;
    expect(exec.required).toEqual(['command']);
  });
});
