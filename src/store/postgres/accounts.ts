import { LockedError, StoreError } from '../../errors.js';
import type { AccountRecord, AccountRepo } from '../store.js';
import { lockKey, type Database } from './db.js';
import type { Tables } from './migrations.js';
import { open, seal } from './sealed.js';

const keyAad = (directory: string) => `certkeeper:account:${directory}`;
/** A deactivated account's row is kept under this prefix (list() and every lookup by URL skip it). */
const RETIRED = 'deactivated:';
/** How long a host waits for another host's key change on the same account. */
const HOLD_WAIT = '30s';

/**
 * ACME accounts in PostgreSQL: one row per CA directory, the key sealed, the record a JSON document
 * kept whole. A rollover's pending key sits in the record as `pendingKey` (sealed like the key, for
 * the same directory, so committing it moves bytes and reseals nothing); read() leaves it out and
 * save() keeps it, so no other writer of the record loses it. No schema change was needed for it.
 */
export class PgAccounts implements AccountRepo {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly key: Buffer,
    private readonly schema: string,
  ) {}

  async readKey(directory: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ key_sealed: Buffer | null }>(`SELECT key_sealed FROM ${this.t.accounts} WHERE directory = $1`, [directory]);
    return rows[0]?.key_sealed ? this.opened(directory, rows[0].key_sealed) : undefined;
  }

  async saveKey(directory: string, pem: string): Promise<string> {
    // The first key stored wins: hosts that start together end up using one account.
    const { rows } = await this.db.query<{ key_sealed: Buffer }>(
      `INSERT INTO ${this.t.accounts} (directory, key_sealed) VALUES ($1, $2)
       ON CONFLICT (directory) DO UPDATE SET key_sealed = COALESCE(${this.t.accounts}.key_sealed, excluded.key_sealed)
       RETURNING key_sealed`,
      [directory, seal(this.key, pem, keyAad(directory))],
    );
    return this.opened(directory, rows[0]!.key_sealed);
  }

  async read(directory: string): Promise<AccountRecord | undefined> {
    const { rows } = await this.db.query<{ record: Record<string, unknown> }>(`SELECT record FROM ${this.t.accounts} WHERE directory = $1`, [directory]);
    const { pendingKey: _pending, ...r } = rows[0]?.record ?? {};
    return Object.keys(r).length ? { ...r, directory } : undefined;
  }

  async save(record: AccountRecord): Promise<void> {
    const { pendingKey: _pending, ...doc } = record as AccountRecord & { pendingKey?: unknown };
    const a = this.t.accounts;
    await this.db.query(
      `INSERT INTO ${a} (directory, record) VALUES ($1, $2) ON CONFLICT (directory) DO UPDATE
       SET record = CASE WHEN ${a}.record ? 'pendingKey' THEN excluded.record || jsonb_build_object('pendingKey', ${a}.record->'pendingKey') ELSE excluded.record END, updated_at = now()`,
      [record.directory, JSON.stringify(doc)],
    );
  }

  async pendingKey(directory: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ p: string | null }>(`SELECT record->>'pendingKey' AS p FROM ${this.t.accounts} WHERE directory = $1`, [directory]);
    const p = rows[0]?.p;
    return p ? this.opened(directory, Buffer.from(p, 'base64')) : undefined;
  }

  async stageKey(directory: string, pem: string): Promise<void> {
    const sealed = seal(this.key, pem, keyAad(directory)).toString('base64');
    const { rowCount } = await this.db.query(
      `UPDATE ${this.t.accounts} SET record = record || jsonb_build_object('pendingKey', $2::text), updated_at = now() WHERE directory = $1 AND key_sealed IS NOT NULL`,
      [directory, sealed],
    );
    if (!rowCount) throw new StoreError(`no account key for ${directory} in ${this.db.where} to replace`);
  }

  async commitKey(directory: string): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE ${this.t.accounts} SET key_sealed = decode(record->>'pendingKey', 'base64'), record = record - 'pendingKey', updated_at = now() WHERE directory = $1 AND record ? 'pendingKey'`,
      [directory],
    );
    if (!rowCount) throw new StoreError(`no pending account key for ${directory} in ${this.db.where} to commit`);
  }

  async discardKey(directory: string): Promise<void> {
    await this.db.query(`UPDATE ${this.t.accounts} SET record = record - 'pendingKey', updated_at = now() WHERE directory = $1`, [directory]);
  }

  /** The row is renamed aside, its key still sealed for its own directory (record.directory says which). */
  async retire(directory: string, now: Date): Promise<string> {
    const aside = `${RETIRED}${now.toISOString()}:${directory}`;
    const { rowCount } = await this.db.query(`UPDATE ${this.t.accounts} SET directory = $2, updated_at = now() WHERE directory = $1`, [directory, aside]);
    if (!rowCount) throw new StoreError(`no account for ${directory} in ${this.db.where} to move aside`);
    return `${this.db.where}, table accounts, directory "${aside}"`;
  }

  /** A session advisory lock on a connection of its own: a host that dies holding it frees it. */
  async hold(directory: string): Promise<() => Promise<void>> {
    const c = await this.db.session(() => undefined);
    const key = lockKey(this.schema, 'account', directory);
    try {
      await c.query(`SET lock_timeout = '${HOLD_WAIT}'`);
      await c.query('SELECT pg_advisory_lock($1)', [key]);
    } catch (err) {
      await c.end().catch(() => undefined);
      if ((err as { code?: string }).code === '55P03') throw new LockedError(`the ACME account at ${directory} is being changed by another host (waited ${HOLD_WAIT}); try again`);
      throw err;
    }
    return async () => {
      await c.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      await c.end().catch(() => undefined);
    };
  }

  async registered(directory: string): Promise<string | null | undefined> {
    const { rows } = await this.db.query<{ url: string | null; has_key: boolean }>(
      `SELECT record->>'url' AS url, key_sealed IS NOT NULL AS has_key FROM ${this.t.accounts} WHERE directory = $1`,
      [directory],
    );
    const r = rows[0];
    if (!r) return null;
    return r.url || (r.has_key ? undefined : null);
  }

  async list(): Promise<string[]> {
    const { rows } = await this.db.query<{ directory: string }>(`SELECT directory FROM ${this.t.accounts} WHERE key_sealed IS NOT NULL AND directory NOT LIKE '${RETIRED}%' ORDER BY directory`);
    return rows.map((r) => r.directory);
  }

  private opened(directory: string, sealed: Buffer): string {
    const pem = open(this.key, sealed, keyAad(directory));
    if (pem === undefined) throw new StoreError(`the account key for ${directory} in ${this.db.where} does not decrypt under store.encryptionKey (altered, or sealed for another account)`);
    return pem;
  }
}
