import pg from 'pg';
import { everyHostServes, startFleet } from '../test/harness/fleet.js';
import { startPebble } from '../test/harness/pebble.js';
import { startPostgres } from '../test/harness/postgres.js';
import { markdownTable, percentile } from './measure.js';

/**
 * `--fleet`: several `certkeeper run` hosts sharing one private PostgreSQL store, each with its own
 * Nginx, started together with `count` certificates to issue. Deploy lag is, per certificate and
 * host, the time from the version being stored to that host's deploy record, both on the database's
 * clock: the host that ordered deploys at the end of its pass, the others as soon as the NOTIFY comes.
 */
export async function measureFleet(count: number, hostCount: number): Promise<string> {
  const [db, pebble] = await Promise.all([startPostgres(), startPebble()]);
  const names = Array.from({ length: count }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const fleet = await startFleet({ db, pebble, directoryUrl: pebble.directoryUrl, nodes: Array.from({ length: hostCount }, (_, i) => `web-${i + 1}`), names, behindAlert: '30m' });
  try {
    for (const h of fleet.hosts) await h.configure([...fleet.certs.values()]);
    const t0 = performance.now();
    for (const h of fleet.hosts) h.start();
    await everyHostServes(fleet, names, fleet.hosts, 600_000);
    const everywhereMs = performance.now() - t0;
    // The last deploy records land just after Nginx serves the files.
    const lags = async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ own: boolean; ms: number }>(
          `WITH cur AS (SELECT DISTINCT ON (name) name, serial, stored_at, stored_by FROM certkeeper.certificates ORDER BY name, version DESC)
           SELECT d.node = cur.stored_by AS own, extract(epoch FROM d.deployed_at - cur.stored_at) * 1000 AS ms
           FROM cur JOIN certkeeper.deployments d ON d.name = cur.name AND d.deployed_serial = cur.serial`,
        );
        return rows;
      } finally {
        await c.end();
      }
    };
    let rows = await lags();
    for (let i = 0; i < 50 && rows.length < count * hostCount; i++) {
      await new Promise((res) => setTimeout(res, 200));
      rows = await lags();
    }
    const own = rows.filter((r) => r.own).map((r) => Number(r.ms));
    const followed = rows.filter((r) => !r.own).map((r) => Number(r.ms));
    const row = (what: string, lags: number[]) => [what, lags.length, ...(lags.length ? [50, 95, 100].map((p) => `${(percentile(lags, p) / 1000).toFixed(2)} s`) : ['', '', ''])];
    return [
      `Fleet: ${hostCount} hosts sharing one PostgreSQL store, ${count} certificates, every Nginx serving every certificate after ${(everywhereMs / 1000).toFixed(1)} s`,
      '',
      markdownTable(['deploy lag after the version is stored', 'deploys', 'p50', 'p95', 'max'], [row('host that ordered it (end of its pass)', own), row('other hosts (NOTIFY)', followed)]),
    ].join('\n');
  } finally {
    await fleet.stop();
    await Promise.all([pebble.stop(), db.destroy()]);
  }
}
