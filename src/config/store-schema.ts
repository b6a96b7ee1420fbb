import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import type { ConfigIssue } from '../errors.js';
import { duration } from './fields.js';

/** A host's name in the fleet: letters, digits, ".", "_" and "-" (a hostname fits). */
export const nodeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'use letters, digits, ".", "_" and "-" only (at most 63), e.g. web-1')
  .meta({ title: 'node name' });

const filePart = z.object({ type: z.literal('file').describe('files in dataDir, for one host (the default)') }).strict();

const postgresPart = z
  .object({
    type: z.literal('postgres').describe('PostgreSQL, shared by every host of a fleet'),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'write postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full')
      .describe('connection URL, e.g. postgres://certkeeper:${PGPASSWORD}@db.example.internal:5432/certkeeper?sslmode=verify-full&sslrootcert=/etc/certkeeper/rds-ca.pem; write "${VAR}" to keep the password out of the file'),
    encryptionKey: z.string().optional().describe('32 random bytes in base64 (`head -c 32 /dev/urandom | base64`) that encrypt private keys before they reach the database; the same on every host; write "${VAR}"'),
    encryptionKeyFile: z.string().optional().describe('or read the key from this file'),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", starting with a letter or "_"')
      .default('certkeeper')
      .describe("the database schema certkeeper's tables live in (created on first use when it may)"),
    poolSize: z.number().int().min(2).max(50).default(6).describe('connections kept open at most (each order in flight holds one while it holds its certificate)'),
    behindAlert: duration('30m').describe('alert when a host still serves an older certificate this long after a new one was stored'),
  })
  .strict();

export const storeSchema = z
  .discriminatedUnion('type', [filePart, postgresPart])
  .prefault({ type: 'file' })
  .describe('where certificates, keys and state are kept: file (dataDir) or postgres (several hosts sharing one store)');

export type RawStoreConfig = z.output<typeof storeSchema>;

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

// The daemon needs only this, without zod.
export { storeSecrets } from './store-secrets.js';
