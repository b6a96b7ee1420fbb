import * as z from 'zod';
import { duration } from './fields.js';
import { NODE_NAME } from './store-config.js';

/** A host's name in the fleet: letters, digits, ".", "_" and "-" (a hostname fits). */
export const nodeName = z
  .string()
  .regex(NODE_NAME, 'use letters, digits, ".", "_" and "-" only (at most 63), e.g. web-1')
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

// What the loader does with the checked settings, without zod.
export { nodeOf, resolveStore, type StoreConfig } from './store-config.js';

// The daemon needs only this, without zod.
export { storeSecrets } from './store-secrets.js';
