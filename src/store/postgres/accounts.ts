import { StoreError } from '../../errors.js';
import type { AccountRecord, AccountRepo } from '../store.js';
import type { Database } from './db.js';
import type { Tables } from './migrations.js';
import { open, seal } from './sealed.js';

const keyAad = (directory: string) => `certkeeper:account:${directory}`;

/** ACME accounts in PostgreSQL: one row per CA directory, the key sealed, the record a JSON document kept whole. */
export class PgAccounts implements AccountRepo {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly key: Buffer,
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
    const r = rows[0]?.record;
    return r && Object.keys(r).length ? { ...r, directory } : undefined;
  }

  async save(record: AccountRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.accounts} (directory, record) VALUES ($1, $2) ON CONFLICT (directory) DO UPDATE SET record = excluded.record, updated_at = now()`,
      [record.directory, JSON.stringify(record)],
    );
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
    const { rows } = await this.db.query<{ directory: string }>(`SELECT directory FROM ${this.t.accounts} WHERE key_sealed IS NOT NULL ORDER BY directory`);
    return rows.map((r) => r.directory);
  }

  private opened(directory: string, sealed: Buffer): string {
    const pem = open(this.key, sealed, keyAad(directory));
    if (pem === undefined) throw new StoreError(`the account key for ${directory} in ${this.db.where} does not decrypt under store.encryptionKey (altered, or sealed for another account)`);
    return pem;
  }
}
