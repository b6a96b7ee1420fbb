import { runCertkeeper } from '../test/harness/cli.js';
import { everyHostServes, startFleet } from '../test/harness/fleet.js';
import { startPebble } from '../test/harness/pebble.js';
import { startPostgres } from '../test/harness/postgres.js';
import { markdownTable, percentile } from './measure.js';

interface FleetView {
  name: string;
  storedAt: string;
  storedBy: string;
  hosts: { node: string; deployedAt: string | null }[];
}

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
    let view: FleetView[] = [];
    const recorded = () => view.length === count && view.every((c) => c.hosts.length === hostCount && c.hosts.every((h) => h.deployedAt));
    for (let i = 0; i < 50 && !recorded(); i++) {
      const r = await runCertkeeper(['status', '--json', '--config', fleet.hosts[0]!.configFile]);
      view = JSON.parse(r.stdout) as FleetView[];
      if (!recorded()) await new Promise((res) => setTimeout(res, 200));
    }
    const own: number[] = [];
    const followed: number[] = [];
    for (const c of view) {
      for (const h of c.hosts) {
        if (!h.deployedAt) continue;
        (h.node === c.storedBy ? own : followed).push(Date.parse(h.deployedAt) - Date.parse(c.storedAt));
      }
    }
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
