import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../bench/gen-store.js';
import { hasNodeCompileCache } from '../../src/cli/compile-cache.js';
import { REPO, runCertkeeper } from '../harness/cli.js';

// What a `renew --now` with nothing due loads, run from its bundle (Node 20): the packages only
// issuing or an unusual configuration needs are bundles of their own (build/bundle.mjs), and the
// built-in modules only a hook or a command runs load at their first use (src/cli/on-use.ts).
describe.skipIf(hasNodeCompileCache)('renew --now with nothing due loads only what it runs (Node 20)', () => {
  const base = mkdtempSync(join(tmpdir(), 'ck-noop-'));
  let config: string;
  const trace = join(base, 'trace.json');
  const preload = join(base, 'trace.cjs');
  const env = { CACHE_DIRECTORY: '', XDG_CACHE_HOME: join(base, 'cache'), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}` };

  beforeAll(async () => {
    chmodSync(base, 0o700);
    // One stored certificate, deployed, far from due (the benchmark's no-op world).
    config = await generateStore(join(base, 'world'), 1);
    // The files the process read whole (the bundles among them) and Node's built-in modules it loaded.
    writeFileSync(
      preload,
      `const fs = require('node:fs'); const read = fs.readFileSync; const files = [];
fs.readFileSync = function (path, ...rest) { if (typeof path === 'string') files.push(path); return read.call(this, path, ...rest); };
process.once('exit', () => fs.writeFileSync(${JSON.stringify(trace)}, JSON.stringify({ files, builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)) })));`,
    );
  });

  it('the renew bundle holds neither zod, yaml nor dns-packet', () => {
    const text = readFileSync(join(REPO, 'dist/src/cli/bundle-renew.cjs'), 'latin1');
    expect(text).toMatch(/"node_modules\/js-yaml\//);
    expect(text.match(/"node_modules\/(zod|yaml|dns-packet)\/[^"]*"/g) ?? []).toEqual([]);
  });

  it('reads none of their bundles, and loads neither child_process nor assert', async () => {
    // The first run checks the new name with tldts; the second is the no-op of every day.
    for (let i = 0; i < 2; i++) {
      const r = await runCertkeeper(['renew', '--now', '--config', config, '--log-level', 'warn'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/not due/);
    }
    const { files, builtins } = JSON.parse(readFileSync(trace, 'utf8')) as { files: string[]; builtins: string[] };
    const cli = files.filter((f) => f.startsWith(join(REPO, 'dist/src/cli/'))).map((f) => f.slice(join(REPO, 'dist/src/cli/').length));
    expect(cli).toEqual(['bundle-renew.cjs']);
    expect(builtins).toContain('crypto');
    expect(builtins.filter((m) => ['child_process', 'assert'].includes(m))).toEqual([]);
  });
});
