import type { Interface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import type { Messages } from '../i18n/index.js';

export interface Choice {
  value: string;
  label: string;
}

/** One answer init needs, from a flag or from the terminal. */
export interface Question {
  /** Key into the flag values, e.g. `email`, `credential.accessKeyId`. */
  key: string;
  /** How to give it on the command line, for error messages. */
  flag: string;
  prompt: string;
  def?: string;
  /** An empty answer is allowed and means "leave it out". */
  optional?: boolean;
  choices?: Choice[];
  /** Returns what is wrong with an answer, or undefined. */
  check?: (v: string) => string | undefined;
}

/** Resolves to the answer; undefined for an optional question left empty. */
export type Ask = (q: Question) => Promise<string | undefined>;

function pick(q: Question, v: string): string | { error: string } {
  if (q.choices) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= q.choices.length) return q.choices[n - 1]!.value;
    const hit = q.choices.find((c) => c.value === v);
    if (hit) return hit.value;
    if (!q.check) return { error: `"${v}" is not one of: ${q.choices.map((c) => c.value).join(', ')}` };
  }
  const err = q.check?.(v);
  return err ? { error: err } : v;
}

/**
 * Answers from flags (no terminal, or --non-interactive). A bad value is a usage error naming its
 * flag; required answers without a flag or default are collected in `missing` so that one error
 * can list them all.
 */
export function flagAsk(values: Record<string, string | undefined>, missing: string[]): Ask {
  return async (q) => {
    const given = values[q.key];
    if (given === undefined || given === '') {
      if (q.def !== undefined) return q.def;
      if (!q.optional) missing.push(q.flag);
      return undefined;
    }
    const r = pick(q, given);
    if (typeof r !== 'string') throw new UsageError(`${q.flag}: ${r.error}`);
    return r;
  };
}

/**
 * Answers from a terminal; a value given as a flag is taken without asking. A bad answer is
 * explained and the question asked again.
 */
export function ttyAsk(rl: Interface, out: NodeJS.WritableStream, m: Messages, flags: Record<string, string | undefined>): Ask {
  const fromFlags = flagAsk(flags, []);
  return async (q) => {
    if (flags[q.key] !== undefined && flags[q.key] !== '') return fromFlags(q);
    if (q.choices) q.choices.forEach((c, i) => out.write(`  ${i + 1}) ${c.value}${c.label ? `  - ${c.label}` : ''}\n`));
    for (;;) {
      const raw = (await rl.question(`${q.prompt}${q.def ? ` [${q.def}]` : ''}: `)).trim();
      const v = raw === '' ? q.def ?? '' : raw;
      if (v === '') {
        if (q.optional) return undefined;
        out.write(`${m.init.invalid(q.choices ? m.init.choose(q.choices.length) : 'an answer is required')}\n`);
        continue;
      }
      const r = pick(q, v);
      if (typeof r === 'string') return r;
      out.write(`${m.init.invalid(q.choices && !q.check ? m.init.choose(q.choices.length) : r.error)}\n`);
    }
  };
}
