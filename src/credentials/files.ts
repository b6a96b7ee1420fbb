import type { z } from 'zod';
import { isOptionSpec, plainOptions, type OptionSpec } from '../config/option-spec.js';
import { readSecretFile } from '../dns/credentials.js';

/** What a component's options were built from, when some of its credentials came from files. */
export interface FileCredentials {
  /** The entry as written, credentials filled in; validated again with the files' current content. */
  raw: Record<string, unknown>;
  /** Credential key → absolute path of the file it was read from (`<key>File` or `VAR_FILE`). */
  files: Record<string, string>;
}

/**
 * The options with every credential that came from a file read again. Providers and targets are
 * built anew for every pass, so a rotated Docker/Kubernetes secret or systemd credential takes effect
 * at the next pass without a restart. Returns the reason when a file cannot be read or its new
 * content is not valid, naming the option, never the content. Options written as plain data are
 * checked without zod when they are valid.
 */
export async function freshOptions(
  schema: z.ZodType | OptionSpec,
  options: Record<string, unknown>,
  source: FileCredentials | undefined,
): Promise<{ options: Record<string, unknown> } | { error: string }> {
  if (!source) return { options };
  const raw = { ...source.raw };
  for (const [key, path] of Object.entries(source.files)) {
    const read = readSecretFile(path, '/');
    if ('error' in read) return { error: `${key}: ${read.error}` };
    raw[key] = read.value;
  }
  if (isOptionSpec(schema)) {
    const plain = plainOptions(schema, raw);
    if (plain) return { options: plain };
  }
  const zod = isOptionSpec(schema) ? (await import('../config/option-zod.js')).zodOptions(schema) : schema;
  const parsed = zod.safeParse(raw);
  if (parsed.success) return { options: parsed.data as Record<string, unknown> };
  const first = parsed.error.issues[0]!;
  return { error: `${first.path.join('.') || 'options'}: ${first.message} (after reading the credential files again)` };
}
