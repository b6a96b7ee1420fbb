import { mkdirSync, mkdtempSync, chmodSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir, safeCacheDir } from '../../src/cli/compile-cache.js';

const uid = process.getuid!();

describe('compile cache directory', () => {
  it("systemd's CacheDirectory first, then XDG_CACHE_HOME, then ~/.cache; never the temp directory", () => {
    expect(compileCacheDir({ CACHE_DIRECTORY: '/var/cache/certkeeper:/other', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/var/cache/certkeeper/compile');
    expect(compileCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/certkeeper/compile');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/certkeeper/compile');
    expect(compileCacheDir({}, '')).toBeUndefined();
  });

  it("is used only when nobody else can write it or rename it away", () => {
    const base = mkdtempSync(join(tmpdir(), 'ck-cc-'));
    chmodSync(base, 0o700);
    const dir = join(base, 'compile');
    mkdirSync(dir, { mode: 0o700 });
    // The temp directory above is world-writable but sticky, as /tmp is: others cannot rename ours.
    expect(safeCacheDir(dir, uid)).toBe(true);

    chmodSync(dir, 0o777);
    expect(safeCacheDir(dir, uid)).toBe(false);
    chmodSync(dir, 0o700);

    chmodSync(base, 0o777); // a parent others may write to, not sticky
    expect(safeCacheDir(dir, uid)).toBe(false);
    chmodSync(base, 0o700);

    expect(safeCacheDir(dir, uid + 1)).toBe(false); // another user's directory

    const link = join(base, 'link');
    symlinkSync(dir, link);
    expect(safeCacheDir(link, uid)).toBe(false);
  });

  it('a parent owned by another user (not root) makes it unsafe', () => {
    const stat = (p: string) => ({ uid: p === '/srv' ? 1234 : uid, mode: 0o40755, isDirectory: () => true, isSymbolicLink: () => false });
    expect(safeCacheDir('/srv/cache/compile', uid, stat)).toBe(false);
    expect(safeCacheDir('/var/cache/compile', uid, stat)).toBe(true);
  });
});
