import { fleetHost, type DeployRow } from '../fleet-view.js';
import type { BehindHost, DeployRecord, FleetCertificate } from '../shared.js';
import type { Database } from './db.js';
import type { Tables } from './migrations.js';

/** The current version of each certificate: the newest row. */
const current = (t: Tables) => `SELECT DISTINCT ON (name) name, serial, stored_at, stored_by FROM ${t.certificates} ORDER BY name, version DESC`;

/**
 * The hosts and what each deployed. Times come from the database's clock, so hosts whose clocks
 * disagree still agree on how long one has been behind.
 */
export class PgFleet {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly node: string,
  ) {}

  async seen(version: string): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.nodes} (node, version) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET last_seen = now(), version = excluded.version`,
      [this.node, version],
    );
  }

  async recordDeploys(records: DeployRecord[], deploys?: string[]): Promise<void> {
    const t = this.t;
    await this.db.tx(async (c) => {
      if (deploys) {
        await c.query(`DELETE FROM ${t.deployments} WHERE node = $1 AND NOT (name = ANY($2::text[]))`, [this.node, deploys]);
        await c.query(`INSERT INTO ${t.deployments} (name, node, result) SELECT unnest($2::text[]), $1, 'pending' ON CONFLICT DO NOTHING`, [this.node, deploys]);
      }
      if (!records.length) return;
      // An unchanged "still deployed" record writes nothing: no churn on every pass.
      await c.query(
        `INSERT INTO ${t.deployments} AS d (name, node, serial, result, error, at, deployed_serial, deployed_at)
         SELECT r.name, $1, r.serial, r.result, r.error, now(), CASE WHEN r.result = 'ok' THEN r.serial END, CASE WHEN r.result = 'ok' THEN now() END
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r(name, serial, result, error)
         ON CONFLICT (name, node) DO UPDATE SET serial = excluded.serial, result = excluded.result, error = excluded.error, at = excluded.at,
           deployed_serial = COALESCE(excluded.deployed_serial, d.deployed_serial),
           deployed_at = CASE WHEN excluded.deployed_serial IS NOT NULL AND excluded.deployed_serial IS DISTINCT FROM d.deployed_serial THEN excluded.deployed_at ELSE d.deployed_at END
         WHERE d.result IS DISTINCT FROM excluded.result OR d.serial IS DISTINCT FROM excluded.serial
           OR d.deployed_serial IS DISTINCT FROM excluded.deployed_serial OR excluded.result = 'failed'`,
        [this.node, records.map((r) => r.name), records.map((r) => r.serial), records.map((r) => (r.ok ? 'ok' : 'failed')), records.map((r) => r.error ?? null)],
      );
    });
  }

  async fleet(): Promise<FleetCertificate[]> {
    const { rows } = await this.db.query<{
      name: string; serial: string; stored_at: Date; stored_by: string;
      node: string | null; deployed_serial: string | null; deployed_at: Date | null; result: DeployRow['result'] | null; error: string | null; at: Date | null; last_seen: Date | null;
    }>(
      `WITH cur AS (${current(this.t)})
       SELECT cur.name, cur.serial, cur.stored_at, cur.stored_by, d.node, d.deployed_serial, d.deployed_at, d.result, d.error, d.at, n.last_seen
       FROM cur LEFT JOIN ${this.t.deployments} d ON d.name = cur.name LEFT JOIN ${this.t.nodes} n ON n.node = d.node
       ORDER BY cur.name, d.node`,
    );
    const out = new Map<string, FleetCertificate>();
    for (const r of rows) {
      let c = out.get(r.name);
      if (!c) out.set(r.name, (c = { name: r.name, serial: r.serial, storedAt: r.stored_at.toISOString(), storedBy: r.stored_by, hosts: [] }));
      if (!r.node) continue;
      c.hosts.push(fleetHost({ node: r.node, deployedSerial: r.deployed_serial, deployedAt: r.deployed_at, result: r.result ?? 'pending', error: r.error, at: r.at, lastSeen: r.last_seen }, { serial: r.serial, storedAt: r.stored_at }));
    }
    return [...out.values()];
  }

  async notServedHere(names: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      `WITH cur AS (${current(this.t)})
       SELECT cur.name FROM cur LEFT JOIN ${this.t.deployments} d ON d.name = cur.name AND d.node = $1
       WHERE cur.name = ANY($2::text[]) AND d.deployed_serial IS DISTINCT FROM cur.serial ORDER BY cur.name`,
      [this.node, names],
    );
    return rows.map((r) => r.name);
  }

  async takeBehind(afterMs: number): Promise<BehindHost[]> {
    const t = this.t;
    const { rows } = await this.db.query<{ name: string; node: string; serial: string; deployed_serial: string | null; since: Date; error: string | null }>(
      `WITH cur AS (${current(t)}),
       late AS (
         SELECT d.name, d.node, cur.serial, d.deployed_serial, cur.stored_at AS since, CASE WHEN d.result = 'failed' THEN d.error END AS error
         FROM ${t.deployments} d JOIN cur ON cur.name = d.name
         WHERE d.deployed_serial IS DISTINCT FROM cur.serial AND cur.stored_at < now() - make_interval(secs => $1::double precision)),
       taken AS (
         INSERT INTO ${t.behindAlerts} (name, node, serial) SELECT name, node, serial FROM late ON CONFLICT DO NOTHING RETURNING name, node, serial)
       SELECT late.* FROM late JOIN taken USING (name, node, serial)`,
      [afterMs / 1000],
    );
    // Alerts for versions no longer current are done with.
    await this.db.query(`DELETE FROM ${t.behindAlerts} a WHERE NOT EXISTS (SELECT 1 FROM (${current(t)}) cur WHERE cur.name = a.name AND cur.serial = a.serial)`);
    return rows.map((r) => ({ name: r.name, node: r.node, serial: r.serial, deployedSerial: r.deployed_serial, since: r.since, error: r.error }));
  }
}
