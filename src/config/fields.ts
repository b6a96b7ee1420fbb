import * as z from 'zod';
import { parseDuration } from './duration.js';
import { ENV_NAME } from './patterns.js';
import { english, said, type Said } from '../i18n/errors.js';

/**
 * Field types that several schemas share: the main configuration, the DNS providers' options and the
 * deploy entries. Kept apart from zod-schema.ts so that a provider file loads zod and this module only,
 * not the whole configuration (node-cron, the notify channels, the endpoint).
 */

const DURATION = { title: 'duration', description: 'a number of seconds, or a number with ms, s, m, h or d' };

/** What a duration is written as: one schema, shared by every duration field (there are many). */
const written = onFirstUse(() => z.union([z.string(), z.number()]));

/** A duration written as "30s", "5m", "2h", "1d" or a number of seconds; parsed to milliseconds. */
export const duration = (def: string) => written().default(def).transform(toMs).meta(DURATION);

/** A duration with no default: undefined when not written (a setting that falls back to another). */
export const optionalDuration = () => written().optional().transform((v, ctx) => (v === undefined ? undefined : toMs(v, ctx))).meta(DURATION);

function toMs(v: string | number, ctx: z.RefinementCtx): number {
  const ms = parseDuration(v);
  if (ms === undefined) {
    addSaid(ctx, said('notDuration', String(v)));
    return z.NEVER;
  }
  return ms;
}

/** An external command as an argument array: never a shell string, so config values stay inert. */
export const command = z
  .array(z.string().min(1, 'an argument is empty'))
  .min(1, 'give the command as a non-empty list, e.g. ["nginx", "-t"]')
  .meta({ title: 'command', description: 'a command as a list of arguments; it runs without a shell' });

/** Names of environment variables passed on to external commands, beyond the minimal set (src/command.ts). */
export const passEnv = z
  .array(z.string().regex(ENV_NAME, 'an environment variable name'))
  .describe('environment variables passed to the command besides PATH, HOME, LANG, LC_ALL, TZ, DOCKER_HOST, CERTKEEPER_CONFIG');

/**
 * `verify:` of a deploy target: the address that must serve the new certificate afterwards (a file
 * target's Nginx, a cloud target's load balancer or CDN edge), checked by deploy/verify.ts.
 */
export const servedCheck = (o: { example: string; address: string; timeout: string; description: string }) =>
  z
    .object({
      address: z
        .string()
        .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, 'write host:port, e.g. 127.0.0.1:443')
        .describe(o.address)
        .meta({ examples: [o.example] }),
      servername: z.string().optional().describe('SNI name (default: the first domain, a wildcard made concrete)'),
      timeout: duration(o.timeout).describe('how long to wait for the new certificate to be served'),
    })
    .strict()
    .optional()
    .describe(o.description);

/**
 * A schema made the first time something asks for it, then kept: building zod schemas is most of the
 * cost of loading the configuration's modules, and a section a configuration does not use (certificate
 * entries checked without zod, notify channels, a second CA) need never be built. Used with z.lazy,
 * whose parse and JSON Schema are those of the schema it stands for.
 */
export function onFirstUse<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

/** A custom zod issue whose message comes from the catalog, so the CLI can say it in the user's language. */
export function addSaid<T>(ctx: z.RefinementCtx<T>, s: Said, path?: (string | number)[]): void {
  ctx.addIssue({ code: 'custom', message: english(s), params: { said: s }, ...(path ? { path } : {}) });
}
