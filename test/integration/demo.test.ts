import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../harness/cli.js';
import { tempDir } from '../harness/scenario.js';

/** `npm run demo` is the first thing a new user runs: its happy path must not print a single warning. */
describe('npm run demo', () => {
  it('issues and deploys with no warning or error log line, asking no outside resolver', async () => {
    const dir = await tempDir('ck-demo-');
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(REPO, 'dist/test/harness/demo.js')], { env: { ...process.env, CERTKEEPER_DEMO_DIR: dir, NO_COLOR: '1' }, timeout: 90_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
      );
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toContain('demo finished: certificate issued and deployed');
    const logs = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    expect(r.out).not.toMatch(/^(warn|error): /m);
  });
});
