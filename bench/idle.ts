import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startAlidnsFake } from '../test/fakes/alidns.js';
import { startDnspodFake } from '../test/fakes/dnspod.js';
import { freePort } from '../test/harness/ports.js';
import { startPebble } from '../test/harness/pebble.js';
import { writeConfig } from '../test/harness/scenario.js';
import { markdownTable, median } from './measure.js';

const TARGET_MB = 60;
const SETTLE_MS = 30_000;

interface IdleRun {
  rssMb: number;
  /** Processes still below the daemon when measured (a pass's child should be gone). */
  descendants: number;
  renewed: number;
}

const rssOf = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Every live process whose parent chain reaches `pid`. */
async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(e), ppid);
  }
  return [...parents.keys()].filter((p) => {
    for (let q = parents.get(p); q; q = parents.get(q)) if (q === pid) return true;
    return false;
  });
}

/**
 * One `certkeeper run` that renews 10 certificates at start (half through alidns, half through
 * tencentcloud, each SDK talking to its vendor stand-in, records published to Pebble's DNS), then
 * idles: its RSS 30 s after the pass finished, and what still runs below it.
 */
async function idleRun(cli: string, dir: string, config: Record<string, unknown>): Promise<IdleRun> {
  const file = await writeConfig(dir, { ...config, dataDir: join(dir, 'data'), server: { listen: `127.0.0.1:${await freePort()}` } });
  const p = spawn('node', [cli, 'run', '--config', file, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const finished = await new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "pass finished" within 120 s')), 120_000);
      p.once('exit', (code) => reject(new Error(`certkeeper run exited ${code}`)));
      createInterface({ input: p.stdout! }).on('line', (line) => {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (rec.msg === 'pass finished') (clearTimeout(timer), resolve(rec as Record<string, number>));
      });
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { rssMb: await rssOf(p.pid!), descendants: (await descendantsOf(p.pid!)).length, renewed: finished.renewed ?? 0 };
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r(undefined)));
  }
}

/**
 * RSS of an idle `certkeeper run` 30 s after a pass that renewed 10 certificates, alidns and
 * tencentcloud configured and used. With `baseline` (a built checkout, e.g. of main) both are run
 * alternately in the same session, so machine load falls on both alike.
 */
export async function measureIdle(work: string, cli: string, opts: { baseline?: string; times?: number } = {}): Promise<string> {
  const times = opts.times ?? 3;
  const pebble = await startPebble({ dir: join(work, 'pebble') });
  const ali = await startAlidnsFake({ accessKeyId: 'bench-id', accessKeySecret: 'bench-secret', zones: ['ali.bench.test'], challtestsrvUrl: pebble.challtestsrvUrl });
  const tc = await startDnspodFake({ secretId: 'bench-id', secretKey: 'bench-secret', zones: ['tc.bench.test'], challtestsrvUrl: pebble.challtestsrvUrl });
  const builds = [...(opts.baseline ? [{ label: 'before (baseline)', cli: opts.baseline }] : []), { label: 'this build', cli }];
  const runs = builds.map(() => [] as IdleRun[]);
  let serial = 0;
  try {
    for (let i = 0; i < times; i++) {
      for (const [k, b] of builds.entries()) {
        const dir = join(work, `idle-${serial++}`);
        await mkdir(dir, { recursive: true });
        const deployed = join(dir, 'deployed');
        const config = {
          acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle, email: 'bench@example.com' },
          dns: {
            ali: { type: 'alidns', accessKeyId: 'bench-id', accessKeySecret: 'bench-secret', endpoint: ali.url, retryDelay: '50ms' },
            tencent: { type: 'tencentcloud', secretId: 'bench-id', secretKey: 'bench-secret', endpoint: tc.url, retryDelay: '50ms' },
          },
          propagation: { resolvers: [pebble.dnsServer], timeout: '30s', interval: '200ms' },
          deploy: { nginx: { test: ['/bin/true'], reload: ['/bin/true'] } },
          certificates: Array.from({ length: 10 }, (_, n) => {
            const zone = n % 2 ? 'ali.bench.test' : 'tc.bench.test';
            return { name: `c${n}`, domains: [`c${n}-${serial}.${zone}`], dns: n % 2 ? 'ali' : 'tencent', files: { cert: join(deployed, `c${n}.crt`), key: join(deployed, `c${n}.key`) } };
          }),
        };
        const r = await idleRun(b.cli, dir, config);
        runs[k]!.push(r);
        process.stderr.write(`idle ${b.label}: ${r.rssMb.toFixed(1)} MB, renewed ${r.renewed}/10, ${r.descendants} processes below it\n`);
      }
    }
  } finally {
    await Promise.all([ali.stop(), tc.stop(), pebble.stop()]);
  }
  const rows = builds.map((b, k) => {
    const rss = runs[k]!.map((r) => r.rssMb);
    const m = median(rss);
    const ok = Math.min(...runs[k]!.map((r) => r.renewed)) === 10;
    return [
      b.label, rss.length, `${m.toFixed(0)} MB`, `${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MB`,
      `${Math.min(...runs[k]!.map((r) => r.renewed))}/10`, Math.max(...runs[k]!.map((r) => r.descendants)),
      `${(m / TARGET_MB).toFixed(2)}× the target (≤ ${TARGET_MB} MB)`, ok && m <= TARGET_MB ? 'met' : 'not met',
    ];
  });
  return `Idle \`certkeeper run\`, 30 s after a pass that renewed 10 certificates (5 alidns, 5 tencentcloud, vendor stand-ins, Pebble):\n\n${markdownTable(
    ['build', 'runs', 'daemon RSS (median)', 'spread', 'renewed', 'processes below the daemon', 'ratio', ''],
    rows,
  )}`;
}
