import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { z } from 'zod';
import type { ProviderDescriptor } from './provider.js';
import { loadAllDescriptors } from './registry.js';

/**
 * Documentation generated from the provider descriptors, so the README's provider table and the
 * config's JSON schema cannot drift from the code. `node dist/src/dns/docs.js table|schema` prints them.
 */

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; description?: string };

/** JSON schema (draft 2020-12) of one provider's config block: `type` plus its options as written. */
export function providerOptionsSchema(d: ProviderDescriptor): JsonSchema {
  // io: 'input' describes what a user writes (durations as "30s"), not the parsed values.
  const schema = z.toJSONSchema(d.options, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete schema.$schema;
  const credentialKeys = new Set(d.credentials.map((c) => c.key));
  const properties: Record<string, JsonSchema> = { type: { const: d.type, description: d.title } };
  for (const [k, v] of Object.entries(schema.properties ?? {})) {
    const cred = d.credentials.find((c) => c.key === k);
    properties[k] = cred ? { ...v, description: `${v.description ?? cred.description}; default from ${cred.env.join(' or ')}` } : v;
    if (cred) properties[`${k}File`] = { type: 'string', description: `file holding ${k} (instead of ${k})` };
  }
  return {
    ...schema,
    title: d.title,
    properties,
    // Credentials may come from the environment, so they are never required in the file.
    required: ['type', ...(schema.required ?? []).filter((k) => !credentialKeys.has(k))],
  };
}

/** The schema fragment for one `dns:` entry: exactly one of the provider blocks, chosen by `type`. */
export function dnsEntrySchema(descriptors: ProviderDescriptor[]): JsonSchema {
  return { oneOf: descriptors.map(providerOptionsSchema) };
}

/** The README's provider table (Markdown). */
export function providersTable(descriptors: ProviderDescriptor[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = descriptors.map((d) => {
    const creds = d.credentials.length
      ? d.credentials.map((c) => `\`${c.key}\` (${c.env.map((e) => `\`${e}\``).join(', ')})${c.required ? '' : ' optional'}`).join('<br>')
      : '—';
    const shape = z.toJSONSchema(d.options, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const credKeys = new Set(d.credentials.map((c) => c.key));
    const opts = Object.entries(shape.properties ?? {})
      .filter(([k]) => !credKeys.has(k))
      .map(([k, v]) => `\`${k}\`${v.default !== undefined ? ` = \`${JSON.stringify(v.default)}\`` : ''}`)
      .join(', ');
    return `| \`${d.type}\` | [${esc(d.title)}](${d.docs}) | ${esc(creds)} | ${esc(opts)} |`;
  });
  return ['| type | provider | credentials (environment) | options (default) |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  const all = await loadAllDescriptors();
  process.stdout.write(process.argv[2] === 'schema' ? `${JSON.stringify(dnsEntrySchema(all), null, 2)}\n` : providersTable(all));
}
