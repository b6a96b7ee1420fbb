/**
 * `npm run bench`: certkeeper side by side with lego and certbot on the same local CA and DNS.
 * Pebble (no VA sleep, no authorization reuse) resolves through a real BIND that accepts TSIG-signed
 * RFC 2136 updates; all three clients write their TXT records there. Prints Markdown tables.
 *
 *   npm run bench -- [--n 1,10,50] [--with-200] [--repeat 3] [--skip lego,certbot] [--lego-sequential] [--big] [--idle] [--idle-only] [--baseline DIR] [--no-op-only] [--fleet 20] [--work DIR]
 */
import './clean-env.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { stringify } from 'yaml';
import { startBind, type RunningBind } from '../test/harness/bind.js';
import { startPebble, type RunningPebble } from '../test/harness/pebble.js';
import { CLI, entryOf, REPO } from '../test/harness/cli.js';
import { inParallel, load, markdownTable, measure, median, spread, type Measurement } from './measure.js';
import { productionFootprint } from './footprint.js';
import { describeFilesystem } from './filesystem.js';
import { measureNoOp } from './extra.js';
import { measureIdle } from './idle.js';
import { measureFleet } from './fleet.js';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '1,10,50' },
    'with-200': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '3' },
    skip: { type: 'string', default: '' },
    'lego-sequential': { type: 'boolean', default: false },
    big: { type: 'boolean', default: false },
    idle: { type: 'boolean', default: false },
    'idle-only': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'no-op-only': { type: 'boolean', default: false },
    fleet: { type: 'string' },
    work: { type: 'string' },
  },
});
// `--n ''` with `--fleet N` measures the fleet alone.
const sizes = flags.n.split(',').map(Number).filter((n) => n > 0).concat(flags['with-200'] ? [200] : []);
const repeat = Math.max(1, Number(flags.repeat));
const skip = new Set(flags.skip.split(',').filter(Boolean));
// `--work DIR`: the runs' files in DIR/certkeeper-bench instead (a disk like users', when this one is not).
const work = flags.work ? join(flags.work, 'certkeeper-bench') : join(REPO, 'bench', '.work');
const ZONE = 'bench.test';
let serial = 0;
const names = (n: number, tool: string) => Array.from({ length: n }, () => `${tool}-${process.pid}-${serial++}.${ZONE}`);

interface Row {
  tool: string;
  n: number;
  mode: string;
  runs: { wallMs: number; maxRssKb: number; cpuMs: number; ok: number }[];
}

async function certkeeperRun(bind: RunningBind, pebble: RunningPebble, n: number, concurrency: number): Promise<Row['runs'][number]> {
  const dir = join(work, `ck-${serial}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'certkeeper.yaml');
  await writeFile(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
      renew: { concurrency },
      dns: { bind: { type: 'rfc2136', server: bind.server, zone: ZONE, keyName: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret } },
      propagation: { resolvers: [bind.server] },
      certificates: names(n, 'ck').map((d, i) => ({ name: `c${i}`, domains: [d] })),
    }),
  );
  const m = await measure(['node', CLI, 'renew', '--now', '--config', file, '--log-level', 'warn']);
  const ok = m.code === 0 ? n : n - (m.output.match(/FAILED/g)?.length ?? n);
  return { wallMs: m.wallMs, maxRssKb: m.maxRssKb, cpuMs: m.cpuMs, ok };
}

async function legoRun(bind: RunningBind, pebble: RunningPebble, n: number, width: number): Promise<Row['runs'][number]> {
  const path = join(work, `lego-${serial}`);
  const env = {
    LEGO_CA_CERTIFICATES: pebble.caBundle,
    RFC2136_NAMESERVER: bind.server,
    RFC2136_TSIG_KEY: `${bind.key.name}.`,
    RFC2136_TSIG_SECRET: bind.key.secret,
    RFC2136_TSIG_ALGORITHM: `${bind.key.algorithm}.`,
    // lego's own propagation check looks the nameservers up by name through the system resolver, which
    // cannot see this loopback zone; --dns.disable-cp turns it off (its fastest setting).
    RFC2136_POLLING_INTERVAL: '1',
    RFC2136_PROPAGATION_TIMEOUT: '60',
    RFC2136_TTL: '60',
  };
  const results: Measurement[] = [];
  const t0 = performance.now();
  await inParallel(names(n, 'lego'), width, async (d) => {
    results.push(
      await measure(['lego', '--server', pebble.directoryUrl, '--email', 'bench@example.com', '--accept-tos', '--path', path, '--dns', 'rfc2136', '--dns.disable-cp', '--domains', d, 'run'], { env }),
    );
  });
  reportFailures('lego', results);
  return tally(t0, results);
}

/** One run of several client processes: wall time since t0, the largest process, CPU of them all. */
function tally(t0: number, results: Measurement[]): Row['runs'][number] {
  return {
    wallMs: performance.now() - t0,
    maxRssKb: Math.max(...results.map((r) => r.maxRssKb)),
    cpuMs: results.reduce((sum, r) => sum + r.cpuMs, 0),
    ok: results.filter((r) => r.code === 0).length,
  };
}

/** The last lines of the first failed run, so a broken comparison is visible, not just slow. */
function reportFailures(tool: string, results: Measurement[]): void {
  const bad = results.find((r) => r.code !== 0);
  if (bad) process.stderr.write(`${tool} failed (exit ${bad.code}):\n${bad.output.trim().split('\n').slice(-6).join('\n')}\n`);
}

async function certbotRun(bind: RunningBind, pebble: RunningPebble, n: number): Promise<Row['runs'][number]> {
  const dir = join(work, `certbot-${serial}`);
  await mkdir(dir, { recursive: true });
  const ini = join(dir, 'rfc2136.ini');
  const [host, port] = bind.server.split(':');
  await writeFile(
    ini,
    `dns_rfc2136_server = ${host}\ndns_rfc2136_port = ${port}\ndns_rfc2136_name = ${bind.key.name}\ndns_rfc2136_secret = ${bind.key.secret}\ndns_rfc2136_algorithm = ${bind.key.algorithm.toUpperCase()}\n`,
    { mode: 0o600 },
  );
  const results: Measurement[] = [];
  const t0 = performance.now();
  for (const d of names(n, 'certbot')) {
    results.push(
      await measure(
        ['certbot', 'certonly', '--non-interactive', '--agree-tos', '-m', 'bench@example.com', '--server', pebble.directoryUrl, '--dns-rfc2136',
          '--dns-rfc2136-credentials', ini, '--dns-rfc2136-propagation-seconds', '1', '--config-dir', join(dir, 'etc'), '--work-dir', join(dir, 'work'),
          '--logs-dir', join(dir, 'logs'), '-d', d],
        { env: { REQUESTS_CA_BUNDLE: pebble.caBundle } },
      ),
    );
  }
  reportFailures('certbot', results);
  return tally(t0, results);
}

/** The issue's targets: 1 certificate ≤ 0.25× lego single; 50 ≤ 0.1× lego 4 at a time, ≤ 20 ms CPU each, ≤ 100 MB. */
function verdict(r: Row, ratio: number | undefined, cpuPerCert: number, rssMb: number): string {
  if (r.tool !== 'certkeeper' || !r.mode.startsWith('default') || ratio === undefined) return '';
  if (r.n === 1) return `≤ 0.25×: ${ratio <= 0.25 ? 'met' : 'not met'}`;
  if (r.n < 50) return '';
  const ok = ratio <= 0.1 && cpuPerCert <= 20 && rssMb <= 100;
  return `≤ 0.1×, ≤ 20 ms CPU/cert, ≤ 100 MB: ${ok ? 'met' : 'not met'}`;
}

function summarise(rows: Row[]): string {
  const lego4 = new Map(rows.filter((r) => r.tool === 'lego' && r.mode === '4 at a time').map((r) => [r.n, median(r.runs.map((x) => x.wallMs))]));
  const legoSingle = rows.find((r) => r.tool === 'lego' && r.n === 1 && r.mode === 'sequential');
  return markdownTable(
    ['tool', 'certificates', 'mode', 'runs', 'wall time (median)', 'spread', 'CPU per certificate (median, range)', 'peak RSS', 'succeeded', 'vs lego', 'target'],
    rows.map((r) => {
      const wall = median(r.runs.map((x) => x.wallMs));
      const cpu = median(r.runs.map((x) => x.cpuMs)) / r.n;
      const rss = Math.max(...r.runs.map((x) => x.maxRssKb)) / 1024;
      const ref = r.n === 1 && legoSingle ? median(legoSingle.runs.map((x) => x.wallMs)) : lego4.get(r.n);
      const ratio = ref && r.tool !== 'lego' ? wall / ref : undefined;
      return [
        r.tool, r.n, r.mode, r.runs.length, `${(wall / 1000).toFixed(2)} s`, spread(r.runs.map((x) => x.wallMs)), cpuCell(r),
        `${rss.toFixed(0)} MB`, `${Math.min(...r.runs.map((x) => x.ok))}/${r.n}`,
        ratio === undefined ? '' : `${ratio.toFixed(2)}× ${r.n === 1 ? 'lego single' : 'lego 4 at a time'}`,
        verdict(r, ratio, cpu, rss),
      ];
    }),
  );
}

/** The median CPU per certificate to a tenth of a millisecond (a target sits at 20 ms), with the runs' range. */
function cpuCell(r: Row): string {
  const perCert = r.runs.map((x) => x.cpuMs / r.n);
  const f = (ms: number) => (ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
  return `${f(median(perCert))} ms (${f(Math.min(...perCert))}–${f(Math.max(...perCert))})`;
}

/** `--baseline DIR`: a built checkout (of main, say) whose daemon is measured alternately with this one. */
function idleTable(): Promise<string> {
  const baseline = flags.baseline ? entryOf(flags.baseline) : undefined;
  if (baseline && !existsSync(baseline)) throw new Error(`--baseline: no ${baseline}; build that checkout first`);
  return measureIdle(join(work, 'idle'), CLI, { baseline, times: repeat });
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const machine = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load average ${load()} at the start; runs' files on ${describeFilesystem(work)} (${work})`;
  if (flags['idle-only']) {
    process.stdout.write(`${machine}\n\n${await idleTable()}\n`);
    return;
  }
  if (flags['no-op-only']) {
    process.stdout.write(`${machine}\n\n${await measureNoOp(flags.big)}\n`);
    return;
  }
  const bind = await startBind([{ name: ZONE, updatable: true }]);
  const pebble = await startPebble({ dnsServer: bind.server, dir: join(work, 'pebble') });
  const rows: Row[] = [];
  const add = async (tool: string, n: number, mode: string, times: number, fn: () => Promise<Row['runs'][number]>) => {
    const row: Row = { tool, n, mode, runs: [] };
    for (let i = 0; i < times; i++) row.runs.push(await fn());
    rows.push(row);
    process.stderr.write(`${tool} n=${n} ${mode}: ${row.runs.map((r) => `${(r.wallMs / 1000).toFixed(2)}s ${r.ok}/${n}`).join(', ')}\n`);
  };
  try {
    for (const n of sizes) {
      await add('certkeeper', n, 'default concurrency (4)', repeat, () => certkeeperRun(bind, pebble, n, 4));
      await add('certkeeper', n, 'concurrency 1', repeat, () => certkeeperRun(bind, pebble, n, 1));
      if (!skip.has('lego')) {
        // A single lego run is bimodal (its 5 s ± 50 % poll backoff), so take at least five.
        // lego one by one over many certificates takes minutes and no target compares with it.
        if (n === 1 || flags['lego-sequential']) await add('lego', n, 'sequential', n === 1 ? Math.max(5, repeat) : repeat, () => legoRun(bind, pebble, n, 1));
        if (n > 1) await add('lego', n, '4 at a time', repeat, () => legoRun(bind, pebble, n, 4));
      }
      if (!skip.has('certbot') && n <= 10) await add('certbot', n, 'sequential, 1 s propagation wait', repeat, () => certbotRun(bind, pebble, n));
    }
  } finally {
    await pebble.stop();
    await bind.stop();
  }
  const out: string[] = [];
  out.push(machine);
  out.push('', `Renewal (load average ${load()} at the end):`, '', summarise(rows));
  out.push('', await measureNoOp(flags.big));
  if (flags.idle) out.push('', await idleTable());
  if (flags.fleet) out.push('', await measureFleet(Number(flags.fleet), 3));
  const fp = productionFootprint(REPO);
  out.push('', `Production node_modules (npm ci --omit=dev): ${(fp.bytes / 2 ** 20).toFixed(1)} MB in ${fp.packages} packages`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
