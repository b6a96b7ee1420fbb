import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLI, REPO } from '../test/harness/cli.js';
import { waitFor } from '../test/harness/ports.js';
import { generateStore } from './gen-store.js';
import { markdownTable, measure, median } from './measure.js';

async function timed(args: string[], times: number): Promise<{ wallMs: number; rssMb: number }> {
  const runs = [];
  for (let i = 0; i < times; i++) {
    const m = await measure(['node', CLI, ...args]);
    if (m.code !== 0) throw new Error(`certkeeper ${args.join(' ')} exited ${m.code}: ${m.output.slice(-400)}`);
    runs.push(m);
  }
  return { wallMs: median(runs.map((r) => r.wallMs)), rssMb: Math.max(...runs.map((r) => r.maxRssKb)) / 1024 };
}

/** `renew --now` when nothing is due: CLI start, config, store read, deployed-file comparison. */
export async function measureNothingDue(): Promise<string> {
  const dir = join(REPO, 'bench', '.work', 'nothing-due');
  const config = await generateStore(dir, 1);
  const r = await timed(['renew', '--now', '--config', config, '--log-level', 'warn'], 7);
  return `\`renew --now\` with nothing due (1 certificate, median of 7): ${(r.wallMs / 1000).toFixed(2)} s, peak RSS ${r.rssMb.toFixed(0)} MB`;
}

/** `status` and a no-op pass over many stored certificates (generated once, kept in bench/.cache). */
export async function measureBigStore(_dir: string, count: number): Promise<string> {
  const dir = join(REPO, 'bench', '.cache', `store-${count}`);
  const config = join(dir, 'certkeeper.yaml');
  if (!existsSync(config)) {
    process.stderr.write(`generating ${count} stored certificates (once)…\n`);
    await generateStore(dir, count);
  }
  const status = await timed(['status', '--config', config], 3);
  const pass = await timed(['renew', '--now', '--config', config, '--log-level', 'warn'], 3);
  return markdownTable(
    [`${count} stored certificates`, 'wall time (median of 3)', 'peak RSS'],
    [
      ['`status`', `${(status.wallMs / 1000).toFixed(2)} s`, `${status.rssMb.toFixed(0)} MB`],
      ['`renew --now`, nothing due', `${(pass.wallMs / 1000).toFixed(2)} s`, `${pass.rssMb.toFixed(0)} MB`],
    ],
  );
}

/**
 * RSS of `certkeeper run` 60 s after start, with 10 certificates (not due) and both cloud providers
 * configured. Their SDKs are loaded only when a certificate needs them, so an idle daemon never pays.
 */
export async function measureIdle(dir: string): Promise<string> {
  const config = await generateStore(dir, 10);
  const doc = parse(await readFile(config, 'utf8')) as Record<string, any>;
  doc.dns = {
    ali: { type: 'alidns', accessKeyId: 'bench-id', accessKeySecret: 'bench-secret', endpoint: 'http://127.0.0.1:9' },
    tencent: { type: 'tencentcloud', secretId: 'bench-id', secretKey: 'bench-secret', endpoint: '127.0.0.1:9' },
  };
  doc.certificates = (doc.certificates as Record<string, unknown>[]).map((c, i) => ({ ...c, dns: i % 2 ? 'ali' : 'tencent' }));
  await writeFile(config, stringify(doc));
  const p = spawn('node', [CLI, 'run', '--config', config, '--log-level', 'warn'], { stdio: 'ignore' });
  try {
    const started = Date.now();
    await waitFor(async () => Date.now() - started >= 60_000, 'a minute to pass', 70_000);
    const status = await readFile(`/proc/${p.pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    return `Idle \`certkeeper run\` after 60 s (10 certificates, alidns and tencentcloud configured): RSS ${rss.toFixed(0)} MB`;
  } finally {
    p.kill('SIGTERM');
  }
}
