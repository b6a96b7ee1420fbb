import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { configIssue, type ConfigIssue } from '../errors.js';
import { said } from '../i18n/errors.js';
import type { CredentialField } from './provider.js';

/**
 * Fills credential fields that the config left out from their standard environment variables, or
 * from `<VAR>_FILE` (a path to a file holding the secret, as Docker and systemd credentials provide).
 * Reports every missing credential at once, naming the variables that would supply it. `files`, when
 * given, receives the path each credential was read from, so it can be read again later (a rotated
 * Docker or Kubernetes secret takes effect at the next pass, see rereadCredentialFiles).
 */
export function resolveCredentials(
  fields: CredentialField[],
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  path: string,
  issues: ConfigIssue[],
  files?: Record<string, string>,
): Record<string, unknown> {
  const out = { ...options };
  for (const field of fields) {
    if (typeof out[field.key] === 'string' && out[field.key] !== '') continue;
    const fileKey = `${field.key}File`;
    if (typeof out[fileKey] === 'string') {
      const read = readSecretFile(out[fileKey] as string, baseDir);
      if ('error' in read) issues.push({ path: `${path}.${fileKey}`, message: read.error });
      else out[field.key] = read.value;
      if (files) files[field.key] = secretPath(out[fileKey] as string, baseDir);
      delete out[fileKey];
      continue;
    }
    const found = fromEnv(field.env, env, baseDir);
    if (found && 'error' in found) {
      issues.push({ path: `${path}.${field.key}`, message: found.error });
    } else if (found) {
      out[field.key] = found.value;
      if (files && found.file) files[field.key] = found.file;
    } else if (field.required) {
      issues.push(configIssue(`${path}.${field.key}`, said('credentialMissing', field.key, field.env)));
    }
  }
  return out;
}

function fromEnv(names: string[], env: NodeJS.ProcessEnv, baseDir: string): { value: string; file?: string } | { error: string } | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v !== '') return { value: v };
    const file = env[`${name}_FILE`];
    if (file) {
      const read = readSecretFile(file, baseDir);
      return 'error' in read ? { error: `${name}_FILE: ${read.error}` } : { ...read, file: secretPath(file, baseDir) };
    }
  }
  return undefined;
}

const secretPath = (file: string, baseDir: string) => (isAbsolute(file) ? file : resolve(baseDir, file));

/** Reads one secret file (trimmed); the error names the file and the errno code, never the content. */
export function readSecretFile(file: string, baseDir: string): { value: string } | { error: string } {
  const p = secretPath(file, baseDir);
  try {
    const value = readFileSync(p, 'utf8').trim();
    return value ? { value } : { error: `secret file ${p} is empty` };
  } catch (err) {
    return { error: `cannot read secret file ${p} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
