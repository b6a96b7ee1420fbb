import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../harness/scenario.js';
import { expectNoStack, expectStoreComplete, expectUntouched, failedLine, makeSite, snapshotSite, txtAt } from './harness/site.js';

const pebble = inject('pebble');

/** Small tmpfs mounts stand in for a full or read-only disk; they need root (CI runs as root). */
function canMount(): boolean {
  const probe = join(process.env.TMPDIR ?? '/tmp', `ck-mount-probe-${process.pid}`);
  try {
    mkdirSync(probe, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(probe);
    } catch {}
  }
}
const MOUNT = canMount();
if (!MOUNT) console.warn('disk fault tests skipped: mounting a tmpfs is not permitted here (needs root)');

const mounts: string[] = [];
async function tmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  mounts.push(dir);
}
const remount = (dir: string, how: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${how}`, dir]);

/** Fills a file system to the last byte; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await fh.close().catch(() => undefined);
  }
  return path;
}
const tempFiles = async (dir: string) => (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));

describe.skipIf(!MOUNT)('disk faults on real tmpfs mounts', { timeout: 180_000 }, () => {
  afterAll(() => {
    for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
  });

  it('data directory full: clear error, old certificate kept, no half-written version; next pass renews once space is back', async () => {
    const dir = await tempDir('ck-disk-');
    const dataDir = join(dir, 'data');
    await tmpfs(dataDir, '256k');
    const site = await makeSite(pebble, { dir, dataDir });
    expect((await site.renew()).code).toBe(0);
    const before = await snapshotSite(site);
    const versions = await readdir(join(dataDir, 'archive/site'));
    const filler = await fill(dataDir);

    const r = await site.renew();
    expect(r.code).toBe(1);
    // Depending on which write hits the full disk first: the pass lock (the whole pass stops, one
    // line naming the lock file) or the new certificate's version directory (that certificate fails).
    const line = r.stderr.split('\n').find((l) => l.includes('FAILED') || l.startsWith('certkeeper: '));
    expect(line, r.stderr).toMatch(/(cannot store the new certificate in|cannot create the lock file) .*ENOSPC/);
    expectNoStack(r.stderr + r.stdout);
    await expectUntouched(site, before);
    await expectStoreComplete(dataDir);
    expect(await readdir(join(dataDir, 'archive/site'))).toEqual(versions);
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await txtAt(pebble, site.domain)).toEqual([]);

    await rm(filler);
    const next = await site.renew();
    expect(next.code, next.stderr).toBe(0);
    expect((await snapshotSite(site)).deployedCert).not.toBe(before.deployedCert);
  });

  it('target directory full: deploy fails clearly, deployed files intact, no temp files left; next pass deploys', async () => {
    const dir = await tempDir('ck-disk-');
    const target = join(dir, 'ssl');
    await tmpfs(target, '64k');
    const site = await makeSite(pebble, { dir, targetDir: target });
    expect((await site.renew()).code).toBe(0);
    const before = await snapshotSite(site);
    const filler = await fill(target);

    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/FAILED \(deploy\): .*writing .*site\.crt.* failed.*: ENOSPC/);
    expectNoStack(r.stderr + r.stdout);
    const after = await snapshotSite(site);
    expect([after.deployedCert, after.deployedKey]).toEqual([before.deployedCert, before.deployedKey]);
    expect(await tempFiles(target)).toEqual([]);
    await expectStoreComplete(site.dataDir);

    await rm(filler);
    const next = await site.renew([]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/deployed again/);
    expect((await snapshotSite(site)).deployedCert).toBe(after.fullchain);
  });

  it('read-only target directory: deploy fails with EROFS in one line, nothing lost; next pass deploys', async () => {
    const dir = await tempDir('ck-disk-');
    const target = join(dir, 'ssl');
    await tmpfs(target, '256k');
    const site = await makeSite(pebble, { dir, targetDir: target });
    expect((await site.renew()).code).toBe(0);
    const before = await snapshotSite(site);
    remount(target, 'ro');
    try {
      const r = await site.renew();
      expect(r.code).toBe(1);
      expect(failedLine(r)).toMatch(/FAILED \(deploy\): .*writing .* failed.*: EROFS/);
      expectNoStack(r.stderr + r.stdout);
      const after = await snapshotSite(site);
      expect([after.deployedCert, after.deployedKey]).toEqual([before.deployedCert, before.deployedKey]);
      await expectStoreComplete(site.dataDir);
    } finally {
      remount(target, 'rw');
    }
    const next = await site.renew([]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/deployed again/);
  });
});


