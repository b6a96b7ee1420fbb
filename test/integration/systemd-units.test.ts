import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO } from '../harness/cli.js';
import { tempDir } from '../harness/scenario.js';

const UNITS = ['certkeeper.service', 'certkeeper-nginx-test.service', 'certkeeper-renew.service', 'certkeeper-renew.timer'];

function verify(files: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('systemd-analyze', ['verify', ...files], { timeout: 60_000 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    );
  });
}

/**
 * `systemd-analyze verify` works without systemd as PID 1, but checks that ExecStart= names an
 * existing executable. The units point at /usr/local/bin/certkeeper (where `npm install -g` puts
 * it), which does not exist here, so the test verifies copies whose ExecStart runs the built CLI.
 */
async function copies(edit: (text: string) => string = (t) => t): Promise<string[]> {
  const dir = await tempDir('ck-units-');
  return Promise.all(
    UNITS.map(async (u) => {
      const text = await readFile(join(REPO, 'config', u), 'utf8');
      const out = join(dir, u);
      await writeFile(out, edit(text.replaceAll('/usr/local/bin/certkeeper', `${process.execPath} ${CLI}`)));
      return out;
    }),
  );
}

describe('systemd units', () => {
  it('pass systemd-analyze verify without a warning', async () => {
    const r = await verify(await copies());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('the check is real: a misspelt directive is reported', async () => {
    const r = await verify(await copies((t) => t.replace('ProtectSystem=strict', 'ProtectSystem=strcit')));
    expect(r.stderr).toMatch(/protect system value/);
  });

  it('systemctl reload certkeeper sends SIGHUP to the daemon', async () => {
    const text = await readFile(join(REPO, 'config', 'certkeeper.service'), 'utf8');
    expect(text).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });

  it('are sandboxed the way a Node daemon survives: strict, no new privileges, writable data and cert dirs, JIT allowed', async () => {
    for (const u of ['certkeeper.service', 'certkeeper-renew.service']) {
      const text = await readFile(join(REPO, 'config', u), 'utf8');
      const set = (k: string) => text.split('\n').find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
      expect(set('ProtectSystem'), u).toBe('strict');
      expect(set('NoNewPrivileges'), u).toBe('yes');
      expect(set('StateDirectory'), u).toBe('certkeeper');
      expect(set('ReadWritePaths'), u).toBe('/etc/nginx/certkeeper');
      expect(set('MemoryDenyWriteExecute'), u).toBeUndefined();
      expect(set('User'), u).toBe('certkeeper');
    }
  });
});
