import './clean-env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CLI, entryOf } from '../test/harness/cli.js';
import { everyHostServes, startFleet } from '../test/harness/fleet.js';
import { startPebble } from '../test/harness/pebble.js';
import { startPostgres } from '../test/harness/postgres.js';

/**
 * A fleet follower's idle RSS after it deployed what another host stored (issue 21's idle figure,
 * with a PostgreSQL store): web-1 orders 10 certificates with `renew --now`; web-2's `certkeeper run`
 * deploys them at its first pass, then web-1 renews all 10 again and web-2 deploys them on NOTIFY.
 * Measured 30 s after the first pass, and 30 s after that deploy.
 *
 *   npm run build && node dist/bench/follower-idle.js [--baseline DIR] [--repeat N]
 * DIR: a built checkout (of main, say), measured alternately with this build.
 */
const SETTLE_MS = 30_000;
const rssOf = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** A one-shot command; what it said to stderr only when it failed. */
function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => p.once('close', (code) => (code === 0 || process.stderr.write(err), r(code))));
}

/** RSS of web-2's daemon 30 s after its first pass, and 30 s after its deploy on NOTIFY. */
async function once(cli: string): Promise<[number, number]> {
  const [db, pebble] = await Promise.all([startPostgres(), startPebble()]);
  const names = Array.from({ length: 10 }, (_, i) => `c${i + 1}`);
  const fleet = await startFleet({ db, pebble, directoryUrl: pebble.directoryUrl, nodes: ['web-1', 'web-2'], names, behindAlert: '30m' });
  let daemon: ChildProcess | undefined;
  try {
    const [web1, web2] = fleet.hosts as [(typeof fleet.hosts)[0], (typeof fleet.hosts)[0]];
    for (const h of fleet.hosts) await h.configure([...fleet.certs.values()]);
    if ((await runCli(cli, ['renew', '--now', '--config', web1.configFile], fleet.env)) !== 0) throw new Error('renew --now on web-1 failed');
    daemon = spawn(process.execPath, [cli, 'run', '--config', web2.configFile, '--log-level', 'info'], { env: { ...process.env, ...fleet.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: daemon.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    await everyHostServes(fleet, names, [web2], 120_000);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const afterPass = await rssOf(daemon.pid!);
    const before = await fleet.storedSerials();
    if ((await runCli(cli, ['renew', '--now', '--force', '--config', web1.configFile], fleet.env)) !== 0) throw new Error('renew --now --force on web-1 failed');
    const after = await fleet.storedSerials();
    if (names.some((n) => after.get(n) === before.get(n))) throw new Error('web-1 did not renew every certificate');
    await everyHostServes(fleet, names, [web2], 120_000);
    if (!lines.some((l) => l.msg === 'another host stored a new certificate')) throw new Error('web-2 did not follow on NOTIFY');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return [afterPass, await rssOf(daemon.pid!)];
  } finally {
    daemon?.kill('SIGTERM');
    if (daemon && daemon.exitCode === null) await new Promise((r) => daemon!.once('exit', r));
    await fleet.stop();
    await Promise.all([pebble.stop(), db.destroy()]);
  }
}

const args = process.argv.slice(2);
const baseline = args.includes('--baseline') ? entryOf(args[args.indexOf('--baseline') + 1]!) : undefined;
const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 1;
const builds = [...(baseline ? [['baseline', baseline] as const] : []), ['this build', CLI] as const];
const rss = new Map<string, [number, number][]>(builds.map(([label]) => [label, []]));
const mb = (m: number) => `${m.toFixed(1)} MB`;
for (let i = 0; i < repeat; i++) {
  for (const [label, cli] of builds) {
    const r = await once(cli);
    rss.get(label)!.push(r);
    process.stderr.write(`${label}: after its first pass ${mb(r[0])}, after the deploy on NOTIFY ${mb(r[1])}\n`);
  }
}
for (const [label, list] of rss) console.log(`${label}: after its first pass ${list.map((r) => mb(r[0])).join(', ')}; after the deploy on NOTIFY ${list.map((r) => mb(r[1])).join(', ')}`);
process.exit(0);
