import * as z from 'zod';
import { command, duration, optionalDuration, passEnv } from './fields.js';
import type { FieldSpec, Fields, FieldValue, OptionProblem, OptionSpec, OptionsOf } from './option-spec.js';

/**
 * The zod schema of options written as an OptionSpec (option-spec.ts): what words their problems,
 * and what the JSON Schema, the reference pages and `init` are derived from. Loaded only when one
 * of those is needed; a valid common entry is checked by plainOptions without it.
 */

const made = new WeakMap<OptionSpec, z.ZodType>();

/** The spec's zod schema, built once per spec. */
export function zodOptions(spec: OptionSpec): z.ZodType {
  let s = made.get(spec);
  if (!s) {
    const object = z.object(zodFields(spec.fields)).strict();
    const check = spec.check;
    s = check ? object.superRefine((o, ctx) => addProblems(ctx, check(o as never))) : object;
    made.set(spec, s);
  }
  return s;
}

/** The fields as zod schemas, for a component whose options are still a zod object (cloud targets). */
export function zodFields<F extends Fields>(fields: F): { [K in keyof F]: z.ZodType<FieldValue<F[K]>> } {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, zodField(f)])) as { [K in keyof F]: z.ZodType<FieldValue<F[K]>> };
}

/** Problems found across options, as zod issues at their option. */
export function addProblems(ctx: z.RefinementCtx, problems: OptionProblem[]): void {
  for (const p of problems) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
}

function zodField(f: FieldSpec): z.ZodType {
  const described = (s: z.ZodType) => {
    const d = s.describe(f.description);
    return f.examples ? d.meta({ examples: f.examples }) : d;
  };
  switch (f.kind) {
    case 'text': {
      let s = z.string();
      if (f.min !== undefined) s = s.min(f.min);
      if (f.pattern) s = s.regex(f.pattern[0], f.pattern[1]);
      const checked = f.check ? s.refine(f.check[0], f.check[1]) : s;
      return described(f.default !== undefined ? checked.default(f.default) : f.optional ? checked.optional() : checked);
    }
    case 'url':
      return described((f.protocol ? z.url({ protocol: f.protocol }) : z.url()).default(f.default));
    case 'number': {
      let s = z.number();
      if (f.int) s = s.int();
      if (f.positive) s = s.positive();
      if (f.min !== undefined) s = s.min(f.min);
      if (f.max !== undefined) s = s.max(f.max);
      return described(s.default(f.default));
    }
    case 'choice':
      return described(f.default !== undefined ? z.enum(f.values).default(f.default) : z.enum(f.values));
    case 'duration':
      return described(f.default === undefined ? optionalDuration() : duration(f.default));
    case 'command':
      return described(command);
    case 'envNames':
      return described(passEnv.optional());
  }
}

/** The options checked, or zod's error thrown (tests, and callers that build a component from literal options). */
export const parseOptions = <F extends Fields>(spec: OptionSpec<F>, raw: unknown): OptionsOf<F> => zodOptions(spec).parse(raw) as OptionsOf<F>;
