import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  wallMs: number;
  /** Peak resident set size of the measured process tree's largest process, in KiB. */
  maxRssKb: number;
  /** CPU time (user + system) of the measured process and the children it waited for, in ms. */
  cpuMs: number;
  code: number;
  output: string;
}

// The measured process is started with posix_spawn and reaped with wait4, whose rusage is that
// process's own plus the descendants it waited for, with its peak RSS; Node has no such call for its
// children, so a few lines of Python (present wherever certbot is) do the waiting. Not
// subprocess.run: it forks the Python interpreter, and on this machine the forked
// copy's work before exec, about 0.12 s of CPU, was counted as the measured tool's (`true` measured
// 0.12 s; `node -e 0` 0.21 s against 0.09 s from /usr/bin/time or farm-bench).
const RUSAGE = join(tmpdir(), 'certkeeper-bench-rusage.py');
writeFileSync(
  RUSAGE,
  `import json, os, sys, tempfile, time
out = tempfile.TemporaryFile()
t = time.monotonic()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, out.fileno(), 2)])
_, status, r = os.wait4(pid, 0)
wall = time.monotonic() - t
out.seek(0)
sys.stdout.buffer.write(out.read())
print("\\n@@RUSAGE@@" + json.dumps({"wall": wall, "maxrss": r.ru_maxrss, "cpu": r.ru_utime + r.ru_stime, "code": os.waitstatus_to_exitcode(status)}))
`,
);

/** Runs a command to completion and reports wall time, peak RSS and exit status. */
export function measure(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [RUSAGE, ...argv], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', reject);
    p.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const at = text.lastIndexOf('@@RUSAGE@@');
      if (at < 0) return reject(new Error(`no rusage from ${argv.join(' ')}: ${text.slice(-500)}`));
      const r = JSON.parse(text.slice(at + '@@RUSAGE@@'.length)) as { wall: number; maxrss: number; cpu: number; code: number };
      resolve({ wallMs: r.wall * 1000, maxRssKb: r.maxrss, cpuMs: r.cpu * 1000, code: r.code, output: text.slice(0, at) });
    });
  });
}

/** Runs `fn` over items with at most `width` in flight. */
export async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100) by the nearest-rank method. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** "min–max" of wall times in seconds. */
export function spread(ms: number[]): string {
  return `${(Math.min(...ms) / 1000).toFixed(2)}–${(Math.max(...ms) / 1000).toFixed(2)} s`;
}

/** The 1-minute load average now, for the table headers: on a shared machine only ratios carry over. */
export function load(): string {
  return loadavg()[0]!.toFixed(1);
}
