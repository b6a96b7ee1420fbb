import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { FileCredentials } from '../credentials/files.js';
import { resolveCredentials } from '../dns/credentials.js';
import type { ConfigIssue } from '../errors.js';
import type { VerifySpec } from '../deploy/verify.js';
import { TUNING_KEYS, type CommonTargetOptions } from './descriptor.js';
import { targetDescriptor, targetTypes } from './registry.js';

/** A cloud target of one certificate, validated against its descriptor. */
export interface ResolvedCloudTarget {
  /** "site#tencentcloud-clb": certificate name and the target's name (its type unless named). */
  id: string;
  type: string;
  /** Validated options, credentials filled in from the environment or files. */
  options: Record<string, unknown>;
  credentialKeys: string[];
  /** Set when credentials came from files: read again for every deploy. */
  fileCredentials?: FileCredentials;
  /** Digest of the options that say where the certificate goes: when it changes, the target is deployed again. */
  configHash: string;
  verify?: VerifySpec;
}

export { hasTargets } from './has-targets.js';

/**
 * Validates the cloud entries of one certificate's `targets:` (those with a `type:`) like DNS
 * entries: the type must exist, its options must pass its schema, credentials come from the entry,
 * the environment or `_FILE`. Reports every problem with its path; `positions` are the entries'
 * indexes in `targets:`.
 */
export function resolveCloudTargets(
  entries: { entry: { type: string } & Record<string, unknown>; index: number }[],
  cert: { name: string },
  where: string,
  ctx: { env: NodeJS.ProcessEnv; baseDir: string; zodIssues(error: z.ZodError, prefix: string): ConfigIssue[] },
  issues: ConfigIssue[],
): ResolvedCloudTarget[] {
  const out: ResolvedCloudTarget[] = [];
  const names = new Map<string, number>();
  for (const { entry, index } of entries) {
    const path = `${where}.targets[${index}]`;
    const { type, ...rest } = entry;
    const d = targetDescriptor(type);
    if (!d) {
      issues.push({ path: `${path}.type`, message: `unknown target type "${type}"; available: ${targetTypes().join(', ')} (or no type: for files in a layout)` });
      continue;
    }
    const files: Record<string, string> = {};
    const withCreds = resolveCredentials(d.credentials, rest, ctx.env, ctx.baseDir, path, issues, files);
    const parsed = d.options.safeParse(withCreds);
    if (!parsed.success) {
      const known = new Set(issues.map((i) => i.path));
      issues.push(...ctx.zodIssues(parsed.error, path).filter((i) => !known.has(i.path)));
      continue;
    }
    const options = parsed.data as Record<string, unknown> & CommonTargetOptions;
    const name = options.name ?? type;
    if (names.has(name)) {
      issues.push({ path: `${path}.name`, message: `targets[${names.get(name)}] of this certificate is also named "${name}"; give each target of the same type its own name:` });
      continue;
    }
    names.set(name, index);
    const credentialKeys = d.credentials.map((c) => c.key);
    out.push({
      id: `${cert.name}#${name}`,
      type,
      options,
      credentialKeys,
      ...(Object.keys(files).length ? { fileCredentials: { raw: withCreds, files } } : {}),
      configHash: configHash(type, options, new Set([...credentialKeys, ...TUNING_KEYS])),
      ...(options.verify ? { verify: options.verify } : {}),
    });
  }
  return out;
}

function configHash(type: string, options: Record<string, unknown>, leaveOut: Set<string>): string {
  const placement = Object.fromEntries(Object.entries(options).filter(([k]) => !leaveOut.has(k)).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify([type, placement])).digest('hex').slice(0, 16);
}
