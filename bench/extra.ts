import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO } from '../test/harness/cli.js';
import { generateStore } from './gen-store.js';
import { load, markdownTable, measure, median } from './measure.js';

interface Timed {
  wallMs: number;
  spread: string;
  rssMb: number;
  /** user + system, median: what a loaded, shared machine distorts least. */
  cpuMs: number;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs each command `times` times, interleaved so machine load falls on all alike; medians per command. */
async function sideBySide(commands: string[][], times: number): Promise<Timed[]> {
  const runs: { wallMs: number; maxRssKb: number; cpuMs: number }[][] = commands.map(() => []);
  for (let i = 0; i < times; i++) {
    for (const [k, argv] of commands.entries()) {
      const m = await measure(argv);
      if (m.code !== 0) throw new Error(`${argv.join(' ')} exited ${m.code}: ${m.output.slice(-400)}`);
      runs[k]!.push(m);
    }
  }
  return runs.map((r) => {
    const w = r.map((x) => x.wallMs);
    return { wallMs: median(w), spread: `${secs(Math.min(...w))}–${secs(Math.max(...w))}`, rssMb: Math.max(...r.map((x) => x.maxRssKb)) / 1024, cpuMs: median(r.map((x) => x.cpuMs)) };
  });
}

const verdict = (ok: boolean) => (ok ? 'met' : 'not met');

/**
 * `renew --now` when nothing is due (CLI start, config, store read, deployed-file comparison) beside a
 * bare `node -e 0`, and `status` and a no-op pass over 10,000 stored certificates (generated once,
 * kept in bench/.cache). One table, ratios against the targets.
 */
export async function measureNoOp(big: boolean, times = 7): Promise<string> {
  const before = load();
  const one = await generateStore(join(REPO, 'bench', '.work', 'nothing-due'), 1);
  const rows: (string | number)[][] = [];
  const [bare, noop] = await sideBySide([['node', '-e', '0'], ['node', CLI, 'renew', '--now', '--config', one, '--log-level', 'warn']], times);
  const ratio = noop!.wallMs / bare!.wallMs;
  const row = (what: string, n: number, t: Timed, target: string, ok: string) => [what, n, secs(t.wallMs), t.spread, secs(t.cpuMs), `${t.rssMb.toFixed(0)} MB`, target, ok];
  rows.push(row('bare `node -e 0`', times, bare!, '', ''));
  rows.push(row('`renew --now`, 1 certificate, nothing due', times, noop!, `${ratio.toFixed(1)}× node -e 0 (≤ 3×; CPU ${(noop!.cpuMs / bare!.cpuMs).toFixed(1)}×)`, verdict(ratio <= 3)));
  if (big) {
    const dir = join(REPO, 'bench', '.cache', 'store-10000');
    const config = join(dir, 'certkeeper.yaml');
    if (!existsSync(config)) {
      process.stderr.write('generating 10000 stored certificates (once)…\n');
      await generateStore(dir, 10_000);
    }
    const n = Math.max(3, Math.floor(times / 2));
    const commands = [['node', CLI, 'status', '--config', config], ['node', CLI, 'renew', '--now', '--config', config, '--log-level', 'warn']];
    // The first run after a build (or an upgrade) makes the configuration's and the code's caches anew:
    // shown on its own, so the medians are the runs of every other day.
    const [firstStatus, firstPass] = await sideBySide(commands, 1);
    rows.push(row('`status`, 10,000 certificates, first run of the set', 1, firstStatus!, 'after a build: caches made anew', ''));
    rows.push(row('`renew --now`, 10,000 certificates, first run of the set', 1, firstPass!, 'after a build: caches made anew', ''));
    const [status, pass] = await sideBySide(commands, n);
    rows.push(row('`status`, 10,000 certificates', n, status!, '≤ 1 s, ≤ 150 MB', verdict(status!.wallMs <= 1000 && status!.rssMb <= 150)));
    rows.push(row('`renew --now`, 10,000 certificates, nothing due', n, pass!, '≤ 1.5 s, ≤ 150 MB', verdict(pass!.wallMs <= 1500 && pass!.rssMb <= 150)));
  }
  return `Nothing due (load average ${before} at the start, ${load()} at the end):\n\n${markdownTable(['measurement', 'runs', 'wall time (median)', 'spread', 'CPU (median)', 'peak RSS', 'target', ''], rows)}`;
}
