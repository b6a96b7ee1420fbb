import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../harness/cli.js';
import { deployConfig, leftovers, storeLeaf } from '../harness/deploy.js';
import { waitFor } from '../harness/ports.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { makeCa, type KeyPair } from '../harness/tls.js';

/**
 * Ownership as it happens in the field, with the built CLI and real users and capabilities:
 * a root deploy into a directory the files' owner can write to (the owner races it with a symbolic
 * link), and certkeeper without CAP_CHOWN (a non-root user; Docker's cap_drop) replacing files that
 * belong to someone else. Needs root to set the stage (CI runs as root).
 */
const OWNER = 1000; // the uid the files are handed to; need not exist in /etc/passwd
const OTHER = 1001;
const asOwner = [`--reuid=${OWNER}`, `--regid=${OWNER}`, '--clear-groups'];
/** The documented sidecar without CAP_CHOWN: root with only KILL and DAC_OVERRIDE (compose mode 1). */
const rootWithoutChown = ['--bounding-set=-all,+kill,+dac_override', '--inh-caps=-all'];
const isRoot = process.geteuid?.() === 0;
/** uid 1000 must be able to read the built CLI (a checkout under a private home directory is not). */
const ownerCanRunCli = isRoot && canRun(asOwner);

function canRun(privs: string[]): boolean {
  try {
    execFileSync('setpriv', [...privs, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Run {
  pid: number;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts the built CLI (under setpriv when `privs` are given), keeping its pid. */
function startCli(args: string[], opts: { privs?: string[]; env?: NodeJS.ProcessEnv } = {}): Run {
  const argv = [process.execPath, CLI, ...args];
  const [file, ...rest] = opts.privs ? ['setpriv', ...opts.privs, ...argv] : argv;
  const child = spawn(file!, rest, { env: { ...process.env, NO_COLOR: '1', LANG: 'C.UTF-8', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

/** Runs a shell snippet as the files' owner (uid 1000, no capabilities); resolves with its exit status. */
function asOwnerSh(script: string, ...args: string[]): Promise<number> {
  return new Promise((resolve) => execFile('setpriv', [...asOwner, '--inh-caps=-all', 'sh', '-c', script, 'sh', ...args], (err) => resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0)));
}

const state = async (pid: number) => (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '')[0];

describe.skipIf(!isRoot)('deploy ownership: symlink races and missing CAP_CHOWN', () => {
  let dir: string;
  let ca: KeyPair;
  let victim: string;
  const domain = uniqueDomain('owner');

  beforeAll(async () => {
    if (!ownerCanRunCli) console.warn(`uid ${OWNER} cannot read ${CLI}: the tests that run certkeeper as that user are skipped`);
    dir = await tempDir();
    await chmod(dir, 0o755); // other users must reach what is theirs below
    ca = await makeCa(dir, 'owner CA');
    // The file an attacker running as the owner wants to get: root's, closed to everyone else.
    await mkdir(join(dir, 'victim'), { mode: 0o700 });
    victim = join(dir, 'victim/secret');
    await writeFile(victim, 'root only\n', { mode: 0o600 });
  });

  /** A config with one certificate deploying the nginx layout to `ssl` (given target options), its leaf stored. */
  async function scenario(name: string, target: Record<string, unknown>, placeholder?: { uid: number; gid: number }) {
    const base = join(dir, name);
    const ssl = join(base, 'ssl');
    const { file, config } = await deployConfig(base, { certificates: [{ name: 'site', domains: [domain], targets: [{ layout: 'nginx', dir: ssl, ...target }] }] });
    const stored = await storeLeaf(config.dataDir, 'site', ca, [domain], name);
    const files = { fullchain: join(ssl, 'fullchain.pem'), key: join(ssl, 'privkey.pem') };
    if (placeholder) {
      // The placeholder pair the Docker docs have the user create and hand over before the first start.
      await mkdir(ssl, { recursive: true });
      await writeFile(files.fullchain, 'placeholder chain\n', { mode: 0o644 });
      await writeFile(files.key, 'placeholder key\n', { mode: 0o600 });
      for (const f of [ssl, files.fullchain, files.key]) await chown(f, placeholder.uid, placeholder.gid);
      await chown(ssl, OWNER, OWNER); // the owner (and certkeeper as that user) may write the directory
    }
    return { file, dataDir: config.dataDir, ssl, files, stored };
  }

  const victimUntouched = async () => {
    const st = await stat(victim);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    expect(await readFile(victim, 'utf8')).toBe('root only\n');
  };

  /** Runs `certkeeper deploy` as root, paused after creating the staged key; the owner then tries to plant a link. */
  async function raceStagedKey(s: { file: string; ssl: string }): Promise<{ planted: number; result: Awaited<Run['done']> }> {
    const run = startCli(['deploy', '--config', s.file], { env: { CERTKEEPER_TEST_PAUSE_AT: 'staged-1' } });
    await waitFor(async () => (await state(run.pid)) === 'T', 'certkeeper to stop at the staged key');
    const staged = join(s.ssl, '.privkey.pem.certkeeper-new');
    const planted = await asOwnerSh('rm -f "$1" && ln -s "$2" "$1"', staged, victim);
    process.kill(run.pid, 'SIGCONT');
    return { planted, result: await run.done };
  }

  it('a directory certkeeper creates stays root-owned, so the owner cannot plant a link in it; the owner can still read its key', async () => {
    const s = await scenario('fresh', { owner: OWNER });
    const { planted, result } = await raceStagedKey(s);
    expect(planted).not.toBe(0); // permission denied: the directory is not the owner's
    expect(result.code).toBe(0);
    await victimUntouched();
    const d = await stat(s.ssl);
    expect(d.uid).toBe(0);
    expect(d.mode & 0o022).toBe(0);
    const key = await lstat(s.files.key);
    expect(key.isFile()).toBe(true);
    expect({ uid: key.uid, mode: key.mode & 0o777 }).toEqual({ uid: OWNER, mode: 0o600 });
    expect(await asOwnerSh('cat "$1" >/dev/null', s.files.key)).toBe(0);
    expect(await readFile(s.files.key, 'utf8')).toBe(s.stored.keyPem);
  });

  it("in a directory the owner can write to, a link swapped in for the staged key is refused: nothing is chowned, the previous files stay", async () => {
    const s = await scenario('shared', { owner: OWNER }, { uid: OWNER, gid: OWNER });
    const { planted, result } = await raceStagedKey(s);
    expect(planted).toBe(0); // the owner really replaced the staged key with a link to root's file
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/privkey\.pem is a symbolic link right after it was written: another user can change .*ssl; make that directory writable only by the user certkeeper runs as/);
    await victimUntouched();
    expect((await lstat(s.files.key)).isFile()).toBe(true);
    expect(await readFile(s.files.key, 'utf8')).toBe('placeholder key\n');
    expect(await readFile(s.files.fullchain, 'utf8')).toBe('placeholder chain\n');
    expect(await leftovers(s.ssl)).toEqual([]);
  });

  it.skipIf(!ownerCanRunCli)('without CAP_CHOWN as the uid that already owns the files (compose mode 1 placeholder chowned to 1000): deploys, owner kept', async () => {
    const s = await scenario('mine', {}, { uid: OWNER, gid: OWNER });
    execFileSync('chown', ['-R', `${OWNER}:${OWNER}`, join(dir, 'mine')]);
    const r = await startCli(['deploy', '--config', s.file], { privs: [...asOwner, '--inh-caps=-all'] }).done;
    expect(r.stderr).toMatch(/site\s+deployed/);
    expect(r.code).toBe(0);
    expect(await readFile(s.files.key, 'utf8')).toBe(s.stored.keyPem);
    const key = await stat(s.files.key);
    expect({ uid: key.uid, gid: key.gid, mode: key.mode & 0o777 }).toEqual({ uid: OWNER, gid: OWNER, mode: 0o600 });
  });

  it.skipIf(!ownerCanRunCli)('without CAP_CHOWN as another uid than the files\' owner: one line naming CAP_CHOWN and owner:, no file touched', async () => {
    const s = await scenario('theirs', {}, { uid: OTHER, gid: OTHER });
    await chown(join(dir, 'theirs'), OWNER, OWNER);
    execFileSync('chown', ['-R', `${OWNER}:${OWNER}`, s.dataDir]);
    const r = await startCli(['deploy', '--config', s.file], { privs: [...asOwner, '--inh-caps=-all'] }).done;
    expect(r.code).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('FAILED'));
    expect(line).toMatch(new RegExp(`cannot make .*fullchain\\.pem owned by ${OTHER}:${OTHER} \\(the owner of the file it replaces\\): certkeeper runs as uid ${OWNER} without CAP_CHOWN; grant that capability \\(Docker: cap_add: \\[CHOWN\\]\\) or set owner: ${OWNER} and group: ${OWNER} on this target; no file was changed`));
    expect(r.stderr).not.toMatch(/EPERM|\n\s+at /);
    await placeholdersUntouched(s, OTHER);
  });

  it('as root without CAP_CHOWN (cap_drop ALL, cap_add KILL, DAC_OVERRIDE): files of uid 1000 are refused up front; root\'s own files deploy', async () => {
    const theirs = await scenario('capless', {}, { uid: OWNER, gid: OWNER });
    const refused = await startCli(['deploy', '--config', theirs.file], { privs: rootWithoutChown }).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/owned by 1000:1000 \(the owner of the file it replaces\): certkeeper runs as uid 0 without CAP_CHOWN; .*set owner: 0 and group: 0 on this target/);
    await placeholdersUntouched(theirs, OWNER);

    const own = await scenario('capless-root', {}, { uid: 0, gid: 0 });
    const ok = await startCli(['deploy', '--config', own.file], { privs: rootWithoutChown }).done;
    expect(ok.stderr).toMatch(/site\s+deployed/);
    expect(ok.code).toBe(0);
    expect(await readFile(own.files.key, 'utf8')).toBe(own.stored.keyPem);
  });

  async function placeholdersUntouched(s: { ssl: string; dataDir: string; files: { fullchain: string; key: string } }, uid: number) {
    for (const [f, text] of [[s.files.fullchain, 'placeholder chain\n'], [s.files.key, 'placeholder key\n']] as const) {
      expect(await readFile(f, 'utf8')).toBe(text);
      expect((await stat(f)).uid).toBe(uid);
    }
    expect(await leftovers(s.ssl)).toEqual([]);
    expect(await readdir(join(s.dataDir, 'deploy-journal')).catch(() => [])).toEqual([]);
  }
});
