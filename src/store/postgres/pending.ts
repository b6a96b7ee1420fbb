import type { PendingTxt, PendingTxtLog } from '../pending-txt.js';
import type { Database } from './db.js';
import type { Tables } from './migrations.js';

type Key = Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>;

/**
 * Challenge TXT records written and not yet removed, in PostgreSQL, so that the host that takes a
 * certificate over from one that died mid-order removes what that one left (see cleanupLeftovers:
 * only while it holds the certificate).
 */
export class PgPendingTxt implements PendingTxtLog {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
  ) {}

  get where(): string {
    return `${this.db.where} (${this.t.pendingTxt})`;
  }

  async list(): Promise<PendingTxt[]> {
    const { rows } = await this.db.query<PendingTxt & { at: Date; node: string | null }>(`SELECT entry, type, fqdn, value, cert, at, attempts, node FROM ${this.t.pendingTxt} ORDER BY at`);
    return rows.map(({ at, attempts, node, ...r }) => ({ ...r, at: at.toISOString(), ...(attempts ? { attempts } : {}), ...(node ? { node } : {}) }));
  }

  async add(items: PendingTxt[]): Promise<void> {
    if (!items.length) return;
    await this.db.query(
      `INSERT INTO ${this.t.pendingTxt} (entry, type, fqdn, value, cert, at, node)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
       ON CONFLICT DO NOTHING`,
      [items.map((i) => i.entry), items.map((i) => i.type), items.map((i) => i.fqdn), items.map((i) => i.value), items.map((i) => i.cert), items.map((i) => i.at), items.map((i) => i.node ?? null)],
    );
  }

  async remove(items: Key[]): Promise<void> {
    if (!items.length) return;
    await this.db.query(
      `DELETE FROM ${this.t.pendingTxt} p USING unnest($1::text[], $2::text[], $3::text[]) AS k(entry, fqdn, value)
       WHERE p.entry = k.entry AND p.fqdn = k.fqdn AND p.value = k.value`,
      [items.map((i) => i.entry), items.map((i) => i.fqdn), items.map((i) => i.value)],
    );
  }

  async failed(item: Key): Promise<number> {
    const { rows } = await this.db.query<{ attempts: number }>(
      `UPDATE ${this.t.pendingTxt} SET attempts = attempts + 1 WHERE entry = $1 AND fqdn = $2 AND value = $3 RETURNING attempts`,
      [item.entry, item.fqdn, item.value],
    );
    return rows[0]?.attempts ?? 0;
  }
}
