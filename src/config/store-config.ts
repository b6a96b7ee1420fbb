import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import type { RawStoreConfig } from './store-schema.js';

/** A host's name in the fleet (`node:`): letters, digits, ".", "_" and "-" (a hostname fits). */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The store as the program uses it: the key decoded (32 bytes), the node name resolved. */
export type StoreConfig =
  | { type: 'file' }
  | (Omit<Extract<RawStoreConfig, { type: 'postgres' }>, 'encryptionKey' | 'encryptionKeyFile'> & { encryptionKey: Buffer });

/**
 * Resolves the store settings: reads encryptionKeyFile (relative to the configuration file) and checks
 * that the key is 32 bytes of base64. Problems are added to `issues` with the field they belong to.
 */
export function resolveStore(raw: RawStoreConfig, baseDir: string, issues: ConfigIssue[]): StoreConfig {
  if (raw.type === 'file') return raw;
  const { encryptionKey, encryptionKeyFile, ...rest } = raw;
  if ((encryptionKey === undefined) === (encryptionKeyFile === undefined)) {
    issues.push({ path: 'store.encryptionKey', message: encryptionKey === undefined ? 'is required with type postgres (or give encryptionKeyFile); make one with: head -c 32 /dev/urandom | base64' : 'give encryptionKey or encryptionKeyFile, not both' });
    return { ...rest, encryptionKey: Buffer.alloc(0) };
  }
  let text = encryptionKey;
  let path = 'store.encryptionKey';
  if (encryptionKeyFile !== undefined) {
    path = 'store.encryptionKeyFile';
    const file = isAbsolute(encryptionKeyFile) ? encryptionKeyFile : resolve(baseDir, encryptionKeyFile);
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({ path, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return { ...rest, encryptionKey: Buffer.alloc(0) };
    }
  }
  const key = decodeKey(text!);
  if (!key) issues.push({ path, message: 'must be 32 random bytes in base64 (44 characters); make one with: head -c 32 /dev/urandom | base64' });
  return { ...rest, encryptionKey: key ?? Buffer.alloc(0) };
}

function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

/** This host's name in the fleet: `node:`, else the machine's hostname (cut to a valid name). */
export function nodeOf(configured: string | undefined): string {
  if (configured) return configured;
  const h = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return h || 'localhost';
}
