import { saneState, type CertState } from '../state.js';
import type { StateRepo } from '../store.js';
import type { Database } from './db.js';
import type { Tables } from './migrations.js';

/**
 * Per-certificate state in PostgreSQL, one JSON document per certificate, read whole at the start of
 * a pass. An update reads the row again under a row lock and applies the change to that, so two
 * hosts recording failures of the same certificate never undo each other.
 */
export class PgState implements StateRepo {
  private constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly certs: Map<string, CertState>,
  ) {}

  static async open(db: Database, t: Tables): Promise<PgState> {
    const { rows } = await db.query<{ name: string; state: unknown }>(`SELECT name, state FROM ${t.state}`);
    return new PgState(db, t, new Map(rows.map((r) => [r.name, saneState(r.state)])));
  }

  get(name: string): CertState {
    return this.certs.get(name) ?? { failures: 0 };
  }

  entries(): [string, CertState][] {
    return [...this.certs];
  }

  async delete(name: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.t.state} WHERE name = $1`, [name]);
    this.certs.delete(name);
  }

  async update(name: string, fn: (s: CertState) => CertState): Promise<CertState> {
    const next = await this.db.tx(async (c) => {
      // A row to lock, also for the first change: two hosts must not both start from "no state".
      await c.query(`INSERT INTO ${this.t.state} (name, state) VALUES ($1, '{"failures":0}') ON CONFLICT (name) DO NOTHING`, [name]);
      const { rows } = await c.query<{ state: unknown }>(`SELECT state FROM ${this.t.state} WHERE name = $1 FOR UPDATE`, [name]);
      const out = fn(rows[0] ? saneState(rows[0].state) : { failures: 0 });
      await c.query(
        `INSERT INTO ${this.t.state} (name, state) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = now()`,
        [name, JSON.stringify(out)],
      );
      return out;
    });
    this.certs.set(name, next);
    return next;
  }
}
