import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO } from '../harness/cli.js';
import { runnableBlocks } from '../harness/readme-blocks.js';
import { tempDir } from '../harness/scenario.js';

// Both READMEs and every page under docs/ (the convention is in docs/README.md).
const docs = readdirSync(join(REPO, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const files = ['README.md', 'README.zh-CN.md', ...docs];
const blocks = files.flatMap((f) => runnableBlocks(readFileSync(join(REPO, f), 'utf8'), f).map((b) => ({ file: f, ...b })));

/** Runs one block with `sh -e` in a fresh directory holding a copy of config/, `certkeeper` on PATH. */
async function run(script: string): Promise<{ code: number; output: string }> {
  const dir = await tempDir('ck-readme-');
  await cp(join(REPO, 'config'), join(dir, 'config'), { recursive: true });
  const bin = join(dir, '.bin');
  await mkdir(bin);
  await writeFile(join(bin, 'certkeeper'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(join(bin, 'certkeeper'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' };
  delete env.CERTKEEPER_CONFIG;
  return new Promise((resolve) => {
    execFile('sh', ['-e', '-c', script], { cwd: dir, timeout: 170_000, env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: stdout + stderr }),
    );
  });
}

describe('README command examples marked <!-- runnable -->', () => {
  it('the extractor finds marked shell blocks only, and rejects a marker before anything else', () => {
    const md = ['```sh', 'skipped', '```', '<!-- runnable -->', '', '```sh title="x"', 'echo one', 'echo two', '```', '<!-- runnable -->', '```yaml', 'a: 1', '```'];
    expect(() => runnableBlocks(md.join('\n'))).toThrow(/must be followed by a ```sh block/);
    expect(runnableBlocks(md.slice(0, 9).join('\n'))).toEqual([{ line: 6, script: 'echo one\necho two' }]);
  });

  it('there are runnable blocks to run', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const b of blocks) {
    it(`${b.file}:${b.line} runs and exits 0`, async () => {
      const r = await run(b.script);
      expect(r.output).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(r.code, r.output).toBe(0);
    }, 180_000);
  }
});
