import * as z from 'zod';
import type { ComponentDescriptor } from './descriptor.js';
import { TARGET_DESCRIPTORS } from '../targets/registry.js';
import { configSchema } from './zod-schema.js';
import { isOptionSpec, type OptionSpec } from './option-spec.js';
import { zodOptions } from './option-zod.js';

/** A JSON Schema node (draft 7), loosely typed: the generator and the docs only read a few keys. */
export type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
};

const DRAFT_7 = 'http://json-schema.org/draft-07/schema#';

/**
 * The one way certkeeper turns a zod schema into JSON Schema. Draft 7, because yaml-language-server
 * supports draft 7 and below; `io: 'input'` describes what a user writes (fields with defaults are
 * optional, durations may be "5m" or a number). No `$schema` key: callers embed the result. Options
 * written as plain data (a DNS provider's) go through the zod schema made from them.
 */
export function inputJsonSchema(schema: z.ZodType | OptionSpec): JsonSchema {
  const zod = isOptionSpec(schema) ? zodOptions(schema) : schema;
  const s = z.toJSONSchema(zod, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  relaxEnvPlaceholders(s);
  return s;
}

/**
 * The JSON Schema of certkeeper.yaml for editors, derived from the zod schema and from every
 * provider and cloud target descriptor, so it cannot describe options the code does not accept. `dns:` entries are
 * checked per provider: `type` picks the provider's option schema (if/then, which draft-7 editors
 * report more clearly than oneOf).
 */
export function configJsonSchema(descriptors: ComponentDescriptor[]): JsonSchema {
  const schema = inputJsonSchema(configSchema);
  const props = schema.properties!;
  props.$schema = { type: 'string', description: 'JSON Schema of this file, for editors' };
  props.dns!.additionalProperties = chosenByType(descriptors, 'a DNS provider instance: type picks the provider, the other keys are its options', 'provider type');
  // A deploy target is files in a layout, or a cloud target whose `type` picks its options (src/targets/).
  const target = ((props.certificates!.items as JsonSchema).properties!.targets!.items ?? {}) as JsonSchema;
  const alternatives = target.anyOf as JsonSchema[];
  alternatives[1] = chosenByType([...TARGET_DESCRIPTORS], 'a cloud deploy target: type picks it, the other keys are its options', 'cloud target type');
  return { $schema: DRAFT_7, title: 'certkeeper configuration', ...schema };
}

/** The config text `certkeeper config schema` prints and config/certkeeper.schema.json holds. */
export function configJsonSchemaText(descriptors: ComponentDescriptor[]): string {
  return `${JSON.stringify(configJsonSchema(descriptors), null, 2)}\n`;
}

/** An entry whose `type` picks one descriptor's option schema. */
function chosenByType(descriptors: ComponentDescriptor[], description: string, typeDescription: string): JsonSchema {
  const sorted = [...descriptors].sort((a, b) => a.type.localeCompare(b.type));
  return {
    type: 'object',
    description,
    required: ['type'],
    properties: { type: { type: 'string', enum: sorted.map((d) => d.type), description: typeDescription } },
    allOf: sorted.map((d) => ({
      if: { properties: { type: { const: d.type } }, required: ['type'] },
      then: componentJsonSchema(d),
    })),
  };
}

/**
 * One component's options plus `type`. Credentials are optional here because they may come from
 * the environment; secret ones may also be read from a file named by `<key>File`.
 */
export function componentJsonSchema(d: ComponentDescriptor): JsonSchema {
  const s = inputJsonSchema(d.options);
  const props = (s.properties ??= {});
  props.type = { const: d.type, description: `${d.title} (${d.docs})` };
  for (const c of d.credentials) {
    const base = props[c.key] ?? { type: 'string' };
    props[c.key] = { ...base, description: `${c.description}; default: $${c.env.join(' or $')}` };
    if (c.secret) props[credentialFileKey(c.key)] = { type: 'string', description: `file holding ${c.key} (instead of the value)` };
  }
  const creds = new Set(d.credentials.map((c) => c.key));
  s.required = (s.required ?? []).filter((k) => !creds.has(k));
  if (s.required.length === 0) delete s.required;
  return { description: d.title, ...s };
}

/** The config key that names a file holding a credential (read by src/dns/credentials.ts). */
export const credentialFileKey = (key: string) => `${key}File`;

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
