import { parseDuration } from './duration.js';
import { ENV_NAME } from './patterns.js';

/**
 * A component's options written as plain data, the one source of each option's name, type, limits,
 * default and description: a DNS provider file declares its options with the builders below and
 * loads nothing else. Two readers derive from it: `plainOptions` (here, no zod) checks a common,
 * valid entry on the renewal path; `zodOptions` (option-zod.ts, loaded on demand) builds the same
 * checks as zod, for the problems' wording, the JSON Schema, the reference pages and `init`.
 * test/unit/provider-options.test.ts holds the two to the same output over generated entries.
 */

interface Common {
  description: string;
  examples?: unknown[];
}
/** A rule with the message zod gives when it fails. */
type Rule<T> = readonly [T, string];

export type FieldSpec =
  | (Common & { kind: 'text'; min?: number; pattern?: Rule<RegExp>; check?: Rule<(s: string) => boolean>; optional?: boolean; default?: string })
  | (Common & { kind: 'url'; protocol?: RegExp; default: string })
  | (Common & { kind: 'number'; int?: boolean; positive?: boolean; min?: number; max?: number; default: number })
  | (Common & { kind: 'choice'; values: readonly [string, ...string[]]; default?: string })
  /** A duration in milliseconds; without a default it may be left out (a setting that falls back to another). */
  | (Common & { kind: 'duration'; default?: string })
  | (Common & { kind: 'command' })
  | (Common & { kind: 'envNames'; optional: true });

/** A field with the type it gives (T) and whether the key is always in the output. */
export type Field<T, Always extends boolean> = FieldSpec & { readonly __out?: [T, Always] };

type TextOpts = { min?: number; pattern?: Rule<RegExp>; check?: Rule<(s: string) => boolean>; optional?: boolean; default?: string; examples?: unknown[] };
type Present<O> = O extends { default: string } ? true : O extends { optional: true } ? false : true;

export const text = <O extends TextOpts>(description: string, o?: O): Field<string, Present<O>> => ({ kind: 'text', description, ...o });
export const url = (description: string, def: string, protocol?: RegExp): Field<string, true> => ({ kind: 'url', description, default: def, ...(protocol ? { protocol } : {}) });
export const number = (description: string, o: { int?: boolean; positive?: boolean; min?: number; max?: number; default: number }): Field<number, true> => ({ kind: 'number', description, ...o });
export const choice = <const V extends readonly [string, ...string[]]>(description: string, values: V, o?: { default?: V[number]; examples?: unknown[] }): Field<V[number], true> => ({ kind: 'choice', description, values, ...o });
export const duration = (description: string, def: string): Field<number, true> => ({ kind: 'duration', description, default: def });
export const optionalDuration = (description: string): Field<number, false> => ({ kind: 'duration', description });
export const command = (description: string, examples?: unknown[]): Field<string[], true> => ({ kind: 'command', description, ...(examples ? { examples } : {}) });
export const envNames = (description: string): Field<string[], false> => ({ kind: 'envNames', description, optional: true });

export type Fields = Record<string, Field<unknown, boolean>>;
/** A problem that only a look at several options finds; `path` is the option it is reported at. */
export interface OptionProblem {
  path: string;
  message: string;
}

export interface OptionSpec<F extends Fields = Fields> {
  readonly fields: F;
  /** Checks across options (an ID without its secret); a plain function, so both readers run it. */
  check?(o: OptionsOf<F>): OptionProblem[];
}

type FieldOut<X> = X extends Field<infer T, boolean> ? T : never;
/** One field's value in checked options: undefined when it may be left out. */
export type FieldValue<X> = X extends Field<infer T, infer Always> ? (Always extends true ? T : T | undefined) : never;
type AlwaysKeys<F> = { [K in keyof F]: F[K] extends Field<unknown, true> ? K : never }[keyof F];
/** What checked options look like: a provider's `create` receives this. */
export type OptionsOf<F extends Fields> = { [K in AlwaysKeys<F>]: FieldOut<F[K]> } & { [K in Exclude<keyof F, AlwaysKeys<F>>]?: FieldOut<F[K]> };

export const optionSpec = <F extends Fields>(fields: F, check?: (o: OptionsOf<F>) => OptionProblem[]): OptionSpec<F> => ({ fields, ...(check ? { check } : {}) });

export const isOptionSpec = (v: unknown): v is OptionSpec => typeof v === 'object' && v !== null && 'fields' in v && !('_zod' in v);

type Obj = Record<string, unknown>;
const FAIL = Symbol('fail');

/**
 * The options checked without zod: exactly what zodOptions(spec) gives for them (defaults filled in,
 * keys in the spec's order, optional keys left out when absent), or undefined for anything else,
 * valid or not: then zod checks them and words every problem, as always. Narrower where zod's rule
 * is not worth copying (a URL): what this takes, zod takes the same way.
 */
export function plainOptions<F extends Fields>(spec: OptionSpec<F>, raw: unknown): OptionsOf<F> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.hasOwn(raw, '__proto__')) return undefined;
  const input = raw as Obj;
  for (const key of Object.keys(input)) if (!Object.hasOwn(spec.fields, key) || input[key] === undefined) return undefined;
  const out: Obj = {};
  for (const [key, f] of Object.entries(spec.fields) as [string, FieldSpec][]) {
    const v = Object.hasOwn(input, key) ? plainValue(f, input[key]) : absent(f);
    if (v === FAIL) return undefined;
    if (v !== undefined) out[key] = v;
  }
  const options = out as OptionsOf<F>;
  return spec.check && spec.check(options).length > 0 ? undefined : options;
}

/** An option left out: its default, nothing, or a failure when it is required. */
function absent(f: FieldSpec): unknown {
  if (f.kind === 'duration') return f.default === undefined ? undefined : parseDuration(f.default);
  if ('default' in f && f.default !== undefined) return f.default;
  return 'optional' in f && f.optional ? undefined : FAIL;
}

/** A URL of the plainest kind (scheme, host, port, path): the same to zod's URL check, trimmed or not. */
const PLAIN_URL = /^(https?):\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;

function plainValue(f: FieldSpec, v: unknown): unknown {
  switch (f.kind) {
    case 'text': {
      if (typeof v !== 'string' || (f.min !== undefined && v.length < f.min)) return FAIL;
      if ((f.pattern && !test(f.pattern[0], v)) || (f.check && !f.check[0](v))) return FAIL;
      return v;
    }
    case 'url': {
      const m = typeof v === 'string' ? PLAIN_URL.exec(v) : null;
      return m && (!f.protocol || test(f.protocol, m[1]!)) ? v : FAIL;
    }
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v) || (f.int && !Number.isSafeInteger(v))) return FAIL;
      if ((f.positive && !(v > 0)) || (f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) return FAIL;
      return v;
    }
    case 'choice':
      return typeof v === 'string' && f.values.includes(v) ? v : FAIL;
    case 'duration':
      return (typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined) ?? FAIL;
    case 'command':
      return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0) ? v.slice() : FAIL;
    case 'envNames':
      return Array.isArray(v) && v.every((s) => typeof s === 'string' && ENV_NAME.test(s)) ? v.slice() : FAIL;
  }
}

const test = (re: RegExp, s: string) => {
  re.lastIndex = 0;
  return re.test(s);
};
