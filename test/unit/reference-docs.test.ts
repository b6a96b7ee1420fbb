import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { componentJsonSchema, configJsonSchema, inputJsonSchema } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { choice, duration, number, optionSpec, text } from '../../src/config/option-spec.js';
import type { ProviderDescriptor } from '../../src/dns/provider.js';
import { loadAllDescriptors } from '../../src/dns/registry.js';
import { componentPage, familyIndex } from '../../src/docs/component-page.js';
import { configurationOptions, configurationPage } from '../../src/docs/configuration.js';
import { dnsProviders } from '../../src/docs/families.js';
import { generateReference, staleFiles, writeReference } from '../../src/docs/generate.js';
import { allRows, optionTables } from '../../src/docs/options.js';
import { REPO } from '../harness/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'ck-refdocs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The fenced YAML block under a page's "Minimal configuration" heading. */
const minimalYaml = (page: string) => /## Minimal configuration[^\n]*\n\n```yaml\n([\s\S]*?)\n```/.exec(page)?.[1];

// A provider nobody wrote yet: the generator must document it without being told about it.
const newProvider: ProviderDescriptor = {
  type: 'acmedns',
  title: 'Example DNS host',
  docs: 'https://dns.example/api',
  summary: 'Writes records through the Example API.',
  credentials: [{ key: 'token', env: ['EXAMPLE_TOKEN'], description: 'API token with <zone> write access', required: true, secret: true }],
  options: optionSpec({
    token: text('API token', { min: 1 }),
    region: choice('API region', ['north', 'south'], { examples: ['north'] }),
    wait: duration('pause after writing', '45s'),
    batch: number('records per call', { int: true, default: 5 }),
  }),
  access: { intro: 'Create a key with:', policy: { allow: ['records:write'] } },
  propagation: { firstPollMs: 1500 },
  guide: [{ heading: 'Quirks (注意)', markdown: 'Lists lag a little.' }],
  create: () => {
    throw new Error('not used');
  },
};

describe('reference pages generated from the zod schema and the descriptors', () => {
  it('the committed schema, docs/configuration.md and docs/providers/ are what `npm run docs` generates', async () => {
    const files = await generateReference();
    expect([...files.keys()]).toEqual(expect.arrayContaining(['config/certkeeper.schema.json', 'docs/configuration.md', 'docs/providers/README.md', 'docs/providers/alidns.md']));
    expect(staleFiles(REPO, files), 'run `npm run docs` and commit the result').toEqual([]);
  });

  it('every option of the configuration and of each provider has a description', async () => {
    const descriptors = await loadAllDescriptors();
    const linked = [{ family: dnsProviders, types: descriptors.map((d) => d.type) }];
    const missing = allRows(configurationOptions(configJsonSchema(descriptors), linked)).filter((r) => !r.description).map((r) => r.path);
    for (const d of descriptors) {
      missing.push(...allRows(optionTables(componentJsonSchema(d))).filter((r) => !r.description).map((r) => `${d.type}: ${r.path}`));
      missing.push(...d.credentials.filter((c) => !c.description).map((c) => `${d.type}: ${c.key}`));
    }
    expect(missing, 'give these options a .describe() in their zod schema').toEqual([]);
  });

  it("each provider page's minimal configuration passes `config check` (credentials from the environment)", async () => {
    const files = await generateReference();
    for (const d of await loadAllDescriptors()) {
      const yaml = minimalYaml(files.get(`docs/providers/${d.type}.md`)!);
      expect(yaml, `${d.type}: minimal configuration block`).toBeDefined();
      expect(yaml, `${d.type}: required options need .meta({ examples: [...] })`).not.toMatch(/<\w+>/);
      // Base64 of 18 bytes: a value every credential schema accepts (the TSIG secret wants base64).
      const env = Object.fromEntries(d.credentials.map((c) => [c.env[0]!, 'c2VjcmV0c2VjcmV0c2VjcmV0']));
      const config = await parseConfig(yaml!, join(tmp, 'certkeeper.yaml'), env);
      expect(config.dns[d.type]!.type).toBe(d.type);
      expect(config.certificates).toHaveLength(1);
    }
  });

  it('documents a new provider from its descriptor alone: options, credentials, access, propagation, guide', () => {
    const page = componentPage(dnsProviders, newProvider);
    expect(page).toMatch(/^# `acmedns`: Example DNS host\n/);
    expect(page).toContain('from providers/acmedns.ts');
    expect(page).toContain('| `token` or `tokenFile` | yes | `EXAMPLE_TOKEN`, `EXAMPLE_TOKEN_FILE` | API token with &lt;zone> write access |');
    expect(page).toContain('| `region` | one of `north`, `south` | **required** | API region. Example: `north` |');
    expect(page).toContain('| `wait` | duration | `45s` | pause after writing |');
    expect(page).toContain('| `batch` | integer | `5` | records per call |');
    // The credential is not repeated as an option; `type` is not an option either.
    expect(page).not.toMatch(/^\| `(token|tokenFile|type)` \| (string|`)/m);
    expect(page).toContain('first after 1500 ms');
    expect(page).toContain('"records:write"');
    expect(page).toContain('## Quirks (注意)\n\nLists lag a little.');
    expect(minimalYaml(page)).toBe(
      ['dns:', '  acmedns:                # a name of your choice', '    type: acmedns', '    region: north', '    # token: from $EXAMPLE_TOKEN', 'certificates:', '  - name: www.example.com', '    domains: [www.example.com]'].join('\n'),
    );
    const index = familyIndex(dnsProviders, [newProvider]);
    expect(index).toContain('| `acmedns` | [Example DNS host](acmedns.md) | `token`: `EXAMPLE_TOKEN` |');
  });

  it('documents a new configuration option from the zod schema alone', () => {
    const schema = inputJsonSchema(
      z.object({
        dataDir: z.string().default('./data').describe('where state lives'),
        archive: z
          .object({
            keep: z.number().int().default(3).describe('how many old certificates to keep'),
            hooks: z.array(z.object({ run: z.array(z.string()).describe('what to run') })).default([]).describe('run after archiving'),
          })
          .describe('old certificates'),
      }),
    );
    const page = configurationPage(schema, []);
    expect(page).toContain('| `dataDir` | string | `./data` | where state lives |');
    expect(page).toContain('## `archive`');
    expect(page).toContain('| `archive.keep` | integer | `3` | how many old certificates to keep |');
    expect(page).toContain('| `archive.hooks[].run` | list of strings | **required** | what to run |');
  });

  it('lists stale and left-over pages, and writing removes the left-overs', async () => {
    const files = new Map([
      ['docs/configuration.md', '# new\n'],
      ['docs/providers/README.md', '# index\n'],
    ]);
    mkdirSync(join(tmp, 'repo/docs/providers'), { recursive: true });
    writeFileSync(join(tmp, 'repo/docs/configuration.md'), '# old\n');
    writeFileSync(join(tmp, 'repo/docs/providers/README.md'), '# index\n');
    writeFileSync(join(tmp, 'repo/docs/providers/removed.md'), '# a provider that is gone\n');
    expect(staleFiles(join(tmp, 'repo'), files)).toEqual(['docs/configuration.md', 'docs/providers/removed.md']);
    expect(writeReference(join(tmp, 'repo'), files)).toEqual(['docs/configuration.md', 'docs/providers/removed.md']);
    expect(readFileSync(join(tmp, 'repo/docs/configuration.md'), 'utf8')).toBe('# new\n');
    expect(existsSync(join(tmp, 'repo/docs/providers/removed.md'))).toBe(false);
    expect(staleFiles(join(tmp, 'repo'), files)).toEqual([]);
  });
});
