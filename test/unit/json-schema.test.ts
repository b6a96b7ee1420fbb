import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, schemaKeys } from '../../src/config/json-schema.js';
import { loadAllDescriptors } from '../../src/dns/registry.js';
import { REPO, runCertkeeper } from '../harness/cli.js';

const committed = join(REPO, 'config/certkeeper.schema.json');
const example = join(REPO, 'config/certkeeper.example.yaml');

describe('JSON Schema of the configuration', () => {
  it('the committed config/certkeeper.schema.json is what the zod schema and providers generate (npm run schema)', async () => {
    const fresh = configJsonSchema(await loadAllDescriptors());
    const onDisk = JSON.parse(await readFile(committed, 'utf8')) as unknown;
    expect(onDisk, 'config/certkeeper.schema.json is stale: run `npm run schema` and commit it').toEqual(fresh);
  });

  it('`certkeeper config schema` prints the same schema', async () => {
    const r = await runCertkeeper(['config', 'schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await readFile(committed, 'utf8'));
  });

  it('is draft-7 for yaml-language-server, and dns entries are checked per provider type', async () => {
    const descriptors = await loadAllDescriptors();
    const s = configJsonSchema(descriptors) as any;
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const entry = s.properties.dns.additionalProperties;
    expect(entry.properties.type.enum).toEqual(descriptors.map((d) => d.type).sort());
    const exec = entry.allOf.find((b: any) => b.if.properties.type.const === 'exec').then;
    expect(exec.additionalProperties).toBe(false);
    expect(exec.required).toEqual(['command']);
    // Fields with defaults are optional on the input side.
    expect(s.required ?? []).toEqual([]);
    expect(s.properties.propagation.properties.timeout.type).toEqual(['string', 'number']);
  });

  it('config/certkeeper.example.yaml documents every key of the schema and starts with the editor hint', async () => {
    const text = await readFile(example, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./certkeeper.schema.json');
    const keys = [...schemaKeys(configJsonSchema(await loadAllDescriptors()))].filter((k) => k !== '$schema');
    // A key counts as documented when it appears as `key:` (set, or commented out) followed by a comment.
    const undocumented = keys.filter((k) => {
      const re = new RegExp(`(^|[\\s{,#])${k.replace(/\$/g, '\\$')}:[^\\n]*#`, 'm');
      return !re.test(text);
    });
    expect(undocumented, 'add these keys (with a comment) to config/certkeeper.example.yaml').toEqual([]);
    expect(parse(text)).toBeTypeOf('object');
  });
});
