import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration written as "30s", "5m", "2h", "1d" or a number of seconds; parsed to milliseconds. */
export const duration = (def: string) =>
  z
    .union([z.string(), z.number()])
    .default(def)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write e.g. 30s, 5m, 2h or 1d` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ title: 'duration', description: 'a number of seconds, or a number with ms, s, m, h or d' });
