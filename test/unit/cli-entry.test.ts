import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, runCertkeeper } from '../harness/cli.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');

function node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

// The entry is dist/src/cli/certkeeper.cjs (CommonJS: Node starts it without its ES module loader);
// dist/src/cli/main.js stays what earlier installs start and what the demo imports.
describe('the command-line entry', () => {
  const base = mkdtempSync(join(tmpdir(), 'ck-entry-'));
  const config = join(base, 'certkeeper.yaml');
  const env = { CACHE_DIRECTORY: '', XDG_CACHE_HOME: join(base, 'cache') };

  beforeAll(() => {
    chmodSync(base, 0o700);
    writeFileSync(config, [`dataDir: ${join(base, 'data')}`, 'acme:', '  directory: https://127.0.0.1:9/dir', 'dns:', '  hooks:', '    type: exec', '    command: [/bin/false]', 'certificates:', '  - name: c0', '    domains: [c0.example.com]'].join('\n'));
  });

  it("is started by Node's CommonJS loader, not as an ES module", async () => {
    const out = join(base, 'main-module.json');
    const preload = join(base, 'main-module.cjs');
    writeFileSync(preload, `process.once('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.mainModule?.filename ?? null)));`);
    const r = await node(['--require', preload, CLI, 'status', '--config', config], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBe(CLI);
  });

  it('main.js, started as earlier installs start it, runs the same CLI: the same output and exit status, from a bundle or the ES modules', async () => {
    for (const args of [['status', '--config', config], ['config', 'check', '--config', config], ['no-such-command']]) {
      const entry = await runCertkeeper(args, { env });
      const main = await node([MAIN, ...args], env);
      expect(main).toEqual(entry);
    }
  });

  it('main.js, imported, gives the CLI and starts nothing', async () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(MAIN).href)});
const out = [];
const sink = { write: (s) => { out.push(String(s)); return true; } };
const code = await m.runCli(['status', '--config', ${JSON.stringify(config)}], { env: process.env, cwd: process.cwd(), stdout: sink, stderr: sink, now: () => new Date() });
console.log(JSON.stringify({ code, types: [typeof m.runCli, typeof m.buildProgram, typeof m.runFromModules], printed: out.join('').includes('c0') }));`;
    const r = await node(['--input-type=module', '-e', script], env);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ code: 0, types: ['function', 'function', 'function'], printed: true });
  });
});
