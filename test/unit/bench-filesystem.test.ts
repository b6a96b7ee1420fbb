import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeFilesystem } from '../../bench/filesystem.js';

// The bench names the filesystem its runs write to, as file creation's CPU depends on it.
describe('the filesystem a bench directory is on', () => {
  it('is found from the longest mount point that holds the path', () => {
    expect(describeFilesystem('/proc/self')).toBe('proc');
  });

  it('says whether an ext4 has a journal, and "unknown" for a path that is not there', () => {
    const root = describeFilesystem(tmpdir());
    expect(root).not.toBe('unknown');
    if (root.startsWith('ext')) expect(root).toMatch(/^ext[34] with(out)? a journal$/);
    expect(describeFilesystem('/no/such/directory')).toBe('unknown');
  });
});
