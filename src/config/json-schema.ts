import { z } from 'zod';
import type { ProviderDescriptor } from '../dns/provider.js';
import { configSchema } from './schema.js';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

// yaml-language-server supports JSON Schema draft 7 and below; `io: 'input'` describes what a
// user writes (fields with defaults are optional, durations may be "5m" or a number).
const OPTIONS = { io: 'input', target: 'draft-7', unrepresentable: 'any' } as const;

/**
 * The JSON Schema of certkeeper.yaml for editors, derived from the zod schema and from every
 * provider descriptor, so it cannot describe options the code does not accept. `dns:` entries are
 * checked per provider: `type` picks the provider's option schema (if/then, which draft-7 editors
 * report more clearly than oneOf).
 */
export function configJsonSchema(descriptors: ProviderDescriptor[]): JsonSchema {
  const schema = z.toJSONSchema(configSchema, OPTIONS) as JsonSchema;
  const props = schema.properties!;
  props.$schema = { type: 'string', description: 'JSON Schema of this file, for editors' };
  relaxEnvPlaceholders(schema);
  const dns = props.dns!;
  const sorted = [...descriptors].sort((a, b) => a.type.localeCompare(b.type));
  dns.additionalProperties = {
    type: 'object',
    description: 'a DNS provider instance: type picks the provider, the other keys are its options',
    required: ['type'],
    properties: {
      type: { type: 'string', enum: sorted.map((d) => d.type), description: 'provider type' },
    },
    allOf: sorted.map((d) => ({
      if: { properties: { type: { const: d.type } }, required: ['type'] },
      then: providerSchema(d),
    })),
  };
  return {
    $schema: schema.$schema,
    title: 'certkeeper configuration',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** One provider's options plus `type`; credentials are optional here because they may come from env. */
function providerSchema(d: ProviderDescriptor): JsonSchema {
  const s = z.toJSONSchema(d.options, OPTIONS) as JsonSchema;
  delete s.$schema;
  relaxEnvPlaceholders(s);
  const props = (s.properties ??= {});
  props.type = { const: d.type, description: `${d.title} (${d.docs})` };
  for (const c of d.credentials) {
    const base = props[c.key] ?? { type: 'string' };
    props[c.key] = { ...base, description: `${c.description}; default: $${c.env.join(' or $')}` };
    if (c.secret) props[`${c.key}File`] = { type: 'string', description: `file holding ${c.key} (instead of the value)` };
  }
  const creds = new Set(d.credentials.map((c) => c.key));
  s.required = (s.required ?? []).filter((k) => !creds.has(k));
  if (s.required.length === 0) delete s.required;
  return { description: d.title, ...s };
}

/**
 * Values may be written as `${ENV_VAR}`; string formats and patterns would mark those as errors in
 * the editor, so they are dropped from the schema (the loader still checks the substituted value).
 */
function relaxEnvPlaceholders(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(relaxEnvPlaceholders);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.type === 'string' && typeof o.format === 'string') {
    delete o.format;
    delete o.pattern;
  }
  for (const v of Object.values(o)) relaxEnvPlaceholders(v);
}

/** All property names the schema knows, at any depth, for checking that the example documents each. */
export function schemaKeys(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => schemaKeys(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((p) => into.add(p));
      schemaKeys(v, into);
    }
  }
  return into;
}
