import type { Logger } from 'pino';
import { StoreError } from '../../errors.js';
import { lockKey, type Database } from './db.js';

/** Schema-qualified, quoted table names. */
export function tables(schema: string) {
  const t = (name: string) => `"${schema}".${name}`;
  return {
    migrations: t('migrations'),
    settings: t('settings'),
    accounts: t('accounts'),
    certificates: t('certificates'),
    state: t('state'),
    pendingTxt: t('pending_txt'),
    claims: t('claims'),
    nodes: t('nodes'),
    deployments: t('deployments'),
    behindAlerts: t('behind_alerts'),
  };
}
export type Tables = ReturnType<typeof tables>;

interface Migration {
  version: number;
  what: string;
  sql: (t: Tables) => string;
}

/**
 * The schema, as numbered steps applied in order, each once. A step is never edited after release:
 * a change is a new step. Every statement is idempotent (IF NOT EXISTS), so a step interrupted half
 * way is simply run again.
 */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    what: 'certificates and their archive, accounts, state, pending TXT records, claims, hosts and their deploys',
    sql: (t) => `
      CREATE TABLE IF NOT EXISTS ${t.settings} (key text PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${t.accounts} (
        directory text PRIMARY KEY, key_sealed bytea, record jsonb NOT NULL DEFAULT '{}'::jsonb, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${t.certificates} (
        name text NOT NULL, version bigint GENERATED ALWAYS AS IDENTITY,
        fullchain text NOT NULL, key_sealed bytea NOT NULL, meta jsonb NOT NULL,
        serial text NOT NULL, fingerprint text NOT NULL, not_after timestamptz NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(), stored_by text NOT NULL,
        PRIMARY KEY (name, version), UNIQUE (name, fingerprint));
      CREATE TABLE IF NOT EXISTS ${t.state} (name text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${t.pendingTxt} (
        entry text NOT NULL, fqdn text NOT NULL, value text NOT NULL, cert text NOT NULL, type text NOT NULL,
        node text, at timestamptz NOT NULL, attempts integer NOT NULL DEFAULT 0, PRIMARY KEY (entry, fqdn, value));
      CREATE TABLE IF NOT EXISTS ${t.claims} (
        name text PRIMARY KEY, node text NOT NULL, token text NOT NULL, server_started timestamptz NOT NULL, since timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${t.nodes} (
        node text PRIMARY KEY, first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(), version text);
      CREATE TABLE IF NOT EXISTS ${t.deployments} (
        name text NOT NULL, node text NOT NULL, serial text, result text NOT NULL, error text, at timestamptz NOT NULL DEFAULT now(),
        deployed_serial text, deployed_at timestamptz, PRIMARY KEY (name, node));
      CREATE TABLE IF NOT EXISTS ${t.behindAlerts} (
        name text NOT NULL, node text NOT NULL, serial text NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (name, node, serial));`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/**
 * Brings the schema up to SCHEMA_VERSION. When it is current nothing is written (a role with only
 * the runtime privileges can start); otherwise the steps run in one transaction under an advisory
 * lock, so hosts starting together migrate once. A schema newer than this program is refused.
 */
export async function migrate(db: Database, schema: string, logger: Logger): Promise<number[]> {
  const t = tables(schema);
  const current = await schemaVersion(db, schema);
  if (current === SCHEMA_VERSION) return [];
  if (current > SCHEMA_VERSION) throw newer(db, current);
  try {
    return await db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [lockKey(schema, 'migrate', '')]);
      // CREATE SCHEMA checks the privilege before IF NOT EXISTS: ask first, so a schema a DBA made works.
      const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (!exists.rowCount) await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, what text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t.migrations}`);
      const done = rows[0]?.v ?? 0;
      if (done > SCHEMA_VERSION) throw newer(db, done);
      const applied: number[] = [];
      for (const m of MIGRATIONS.filter((x) => x.version > done)) {
        await c.query(m.sql(t));
        await c.query(`INSERT INTO ${t.migrations} (version, what) VALUES ($1, $2)`, [m.version, m.what]);
        applied.push(m.version);
        logger.info({ store: db.where, schema, version: m.version, what: m.what }, 'store schema migrated');
      }
      return applied;
    });
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === '42501') {
      throw new StoreError(
        `the store database ${db.where}: the user may not create the schema "${schema}" or its tables (schema version ${current}, this certkeeper needs ${SCHEMA_VERSION}); ` +
          'run certkeeper once as the database owner, or grant CREATE on the database (docs/many-hosts.md, "Privileges")',
        { cause: err },
      );
    }
    throw err;
  }
}

/** The schema version the database holds: 0 when certkeeper never ran there. */
export async function schemaVersion(db: Database, schema: string): Promise<number> {
  const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`"${schema}".migrations`]);
  if (!rows[0]?.t) return 0;
  const v = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${tables(schema).migrations}`);
  return v.rows[0]?.v ?? 0;
}

function newer(db: Database, version: number): StoreError {
  return new StoreError(`the store database ${db.where} was set up by a newer certkeeper (schema version ${version}; this one knows up to ${SCHEMA_VERSION}); upgrade certkeeper on this host`);
}
