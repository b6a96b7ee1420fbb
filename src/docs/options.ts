import type { JsonSchema } from '../config/json-schema.js';
import { code, text as plain, yamlInline } from './markdown.js';

/**
 * Turns a JSON Schema (as src/config/json-schema.ts generates it) into rows of a reference table:
 * one per option, at any depth, with its path, type, default and description. Nothing here names
 * an option: a new one in the zod schema shows up by itself.
 */

export interface OptionRow {
  /** `acme.eab.kid`; `[]` marks a list item, `<name>` a key the user chooses. */
  path: string;
  type: string;
  default: string;
  description: string;
}

/** The options of one alternative of a list item or map entry, chosen by a key such as `type`. */
export interface VariantTable {
  path: string;
  key: string;
  values: string[];
  description?: string;
  rows: OptionRow[];
}

export interface OptionTables {
  rows: OptionRow[];
  variants: VariantTable[];
}

export interface WalkHooks {
  /**
   * For entries whose alternatives are documented on pages of their own (DNS providers): the text
   * appended to the key's description instead of listing each alternative's options here.
   */
  linkVariants?(path: string, values: string[]): string | undefined;
  /** Leaves a property out (credentials are shown in their own table). */
  skip?(path: string, key: string): boolean;
}

type Variants = { key: string; branches: Array<{ values: string[]; schema: JsonSchema }> };

export function optionTables(node: JsonSchema, path = '', hooks: WalkHooks = {}): OptionTables {
  const out: OptionTables = { rows: [], variants: [] };
  walkObject(node, path, hooks, out.rows, out.variants);
  return out;
}

function walkObject(node: JsonSchema, path: string, hooks: WalkHooks, rows: OptionRow[], variants: VariantTable[]): void {
  const alts = variantsOf(node);
  const links = alts && hooks.linkVariants?.(path, alts.branches.flatMap((b) => b.values));
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (hooks.skip?.(path, key)) continue;
    const childPath = path ? `${path}.${key}` : key;
    const description = [describe(child), alts?.key === key ? links : undefined].filter(Boolean).join('; ');
    rows.push({ path: childPath, type: typeText(child), default: defaultText(child, required.has(key)), description });
    descend(child, childPath, hooks, rows, variants);
  }
  if (alts && !links) {
    for (const b of alts.branches) {
      const own: OptionRow[] = [];
      walkObject(b.schema, path, { ...hooks, skip: (p, k) => (p === path && k === alts.key) || !!hooks.skip?.(p, k) }, own, variants);
      variants.push({ path, key: alts.key, values: b.values, description: b.schema.description, rows: own });
    }
  }
}

/** Options nested in a value: an object's properties, a list's items, a map's entries. */
function descend(node: JsonSchema, path: string, hooks: WalkHooks, rows: OptionRow[], variants: VariantTable[]): void {
  if (node.properties || variantsOf(node)) return walkObject(node, path, hooks, rows, variants);
  // Alternatives with nothing to tell them apart by (a deploy target: files, or a cloud target chosen by
  // `type`): each one's options, at the same path.
  const alts = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (alts?.length && alts.every((a) => a.properties)) return alts.forEach((a) => walkObject(a, path, hooks, rows, variants));
  const items = node.items as JsonSchema | undefined;
  if (node.type === 'array' && items && typeof items === 'object') return descend(items, `${path}[]`, hooks, rows, variants);
  const entry = node.additionalProperties as JsonSchema | boolean | undefined;
  if (entry && typeof entry === 'object') descend(entry, `${path}.<name>`, hooks, rows, variants);
}

/** Every row of the tables, alternatives included (for checks that each option is described). */
export const allRows = (t: OptionTables): OptionRow[] => [...t.rows, ...t.variants.flatMap((v) => v.rows)];

function variantsOf(node: JsonSchema): Variants | undefined {
  const alts = (node.oneOf ?? node.anyOf) as JsonSchema[] | undefined;
  if (alts && alts.length > 1 && alts.every((a) => a.properties)) {
    const key = Object.keys(alts[0]!.properties!).find((k) => alts.every((a) => discriminant(a.properties![k])));
    if (key) return { key, branches: alts.map((a) => ({ values: discriminant(a.properties![key])!, schema: a })) };
  }
  const conditions = ((node.allOf ?? []) as JsonSchema[]).filter((b) => b.if && b.then);
  const key = conditions.length ? Object.keys((conditions[0]!.if as JsonSchema).properties ?? {})[0] : undefined;
  if (!key) return undefined;
  return {
    key,
    branches: conditions.map((c) => ({ values: discriminant((c.if as JsonSchema).properties![key]) ?? [], schema: c.then as JsonSchema })),
  };
}

function discriminant(p: JsonSchema | undefined): string[] | undefined {
  if (p?.const !== undefined) return [String(p.const)];
  if (Array.isArray(p?.enum)) return p.enum.map(String);
  return undefined;
}

/** Short type text: `duration`, `string`, one of `a`, `b`; `list of string`, `map of string`. */
export function typeText(node: JsonSchema): string {
  if (typeof node.title === 'string') return node.title;
  if (node.const !== undefined) return code(yamlInline(node.const));
  if (Array.isArray(node.enum)) return `one of ${node.enum.map((v) => code(yamlInline(v))).join(', ')}`;
  const v = variantsOf(node);
  if (v) return `object chosen by ${code(v.key)}`;
  const alts = (node.oneOf ?? node.anyOf) as JsonSchema[] | undefined;
  if (alts) return [...new Set(alts.map(typeText))].join(' or ');
  if (Array.isArray(node.type)) return node.type.join(' or ');
  const items = node.items as JsonSchema | undefined;
  if (node.type === 'array') return items && typeof items === 'object' ? `list of ${plural(typeText(items))}` : 'list';
  const entry = node.additionalProperties as JsonSchema | boolean | undefined;
  if (node.type === 'object' && entry && typeof entry === 'object' && !node.properties) return `map of ${plural(typeText(entry))}`;
  if (node.properties) return 'object';
  return typeof node.type === 'string' ? node.type : 'any';
}

/** "list of strings", "list of `a`, `b`", "map of objects chosen by `type`". */
const plural = (t: string) => (t.startsWith('one of ') ? t.slice('one of '.length) : t.replace(/^(string|integer|number|boolean|object)\b/, '$1s'));

function defaultText(node: JsonSchema, required: boolean): string {
  if (required) return '**required**';
  if (node.default === undefined) return '';
  // A section that defaults to {} has its defaults on its own options.
  if (node.properties && typeof node.default === 'object' && !Array.isArray(node.default)) return '';
  return code(yamlInline(node.default));
}

function describe(node: JsonSchema): string {
  const text = plain((node.description ?? '').trim());
  const examples = Array.isArray(node.examples) ? node.examples : [];
  if (!examples.length) return text;
  const shown = examples.map((e) => code(yamlInline(e))).join(', ');
  return `${text}${text ? '. ' : ''}Example${examples.length > 1 ? 's' : ''}: ${shown}`;
}
