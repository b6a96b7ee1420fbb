import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dnsEntrySchema, providersTable } from '../../src/dns/docs.js';
import { loadAllDescriptors } from '../../src/dns/registry.js';
import { REPO } from '../harness/cli.js';

describe('documentation generated from provider descriptors', () => {
  it('the committed providers table matches the one generated from the code', async () => {
    const doc = await readFile(join(REPO, 'README.md'), 'utf8');
    const m = /<!-- providers-table:start -->\n([\s\S]*?)\n<!-- providers-table:end -->/.exec(doc);
    expect(m, 'providers-table markers in README.md').not.toBeNull();
    // Regenerate with: node dist/src/dns/docs.js
    expect(m![1]!.trim()).toBe(providersTable(await loadAllDescriptors()).trim());
  });

  it('lists every provider with its credential variables', async () => {
    const table = providersTable(await loadAllDescriptors());
    for (const v of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY']) expect(table).toContain(v);
    expect(table).toMatch(/^\| `alidns` \|/m);
    expect(table).toMatch(/^\| `tencentcloud` \|/m);
    expect(table).toMatch(/^\| `exec` \|/m);
  });

  it('produces a JSON schema fragment: one block per type, credentials optional, unknown keys refused', async () => {
    const schema = dnsEntrySchema(await loadAllDescriptors()) as { oneOf: Array<Record<string, any>> };
    const ali = schema.oneOf.find((s) => s.properties.type.const === 'alidns')!;
    expect(ali.required).toEqual(['type']);
    expect(ali.additionalProperties).toBe(false);
    expect(ali.properties.accessKeySecret.description).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    expect(ali.properties.accessKeySecretFile.type).toBe('string');
    expect(ali.properties.timeout.default).toBe('10s');
    const exec = schema.oneOf.find((s) => s.properties.type.const === 'exec')!;
    expect(exec.required).toEqual(['type', 'command']);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
