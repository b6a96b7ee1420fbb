import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsync, openSync, renameSync, writeSync, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

// Only fsync goes to the thread pool: it is the call that waits for the disk. Opening, writing a few
// kilobytes into the page cache, fchmod, rename and close take microseconds, and as promises each
// costs a round trip through the pool (a certificate set and its journal and state writes are
// dozens of them: about half the CPU of writing them).
const fsyncFd = promisify(fsync);

/**
 * Writes a file so that readers see either the old or the new content, never a mix: a temp file in
 * the same directory, written and fsynced, renamed over the target, then the directory fsynced so the
 * rename itself survives a power cut.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeNewFileSynced(tmp, data, opts.mode ?? 0o644);
    renameSync(tmp, path);
  } catch (err) {
    // A disk-full write leaves a partial temp file that would hold on to the space it took.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

export interface SyncedFileOptions {
  /** Owner and group, set on the open file (fchown) and only when they differ from what it got. */
  uid?: number;
  gid?: number;
  /** Keep going when the owner cannot be set (copying a kept file on a filesystem without hard links). */
  bestEffortOwner?: boolean;
  /** Called right after the file is created, before anything else (a test-only pause point). */
  created?: () => void;
}

/**
 * Creates exclusively and fsyncs a file. O_EXCL|O_NOFOLLOW: an existing name, a symbolic link
 * included, is an error, so nothing is ever written through a link someone planted. Owner and mode
 * are set on the open descriptor, never by path; the mode is given at creation so a key is never
 * readable by others. Returns the file's device and inode, to recognise it after a rename.
 */
export async function writeFileSynced(path: string, data: string | Uint8Array, mode: number, opts: SyncedFileOptions = {}): Promise<Stats> {
  return (await createSynced(path, data, mode, opts, true))!;
}

/** writeFileSynced without the answer: two fewer calls on the thread pool (a certificate set is five files). */
export async function writeNewFileSynced(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await createSynced(path, data, mode, {}, false);
}

async function createSynced(path: string, data: string | Uint8Array, mode: number, opts: SyncedFileOptions, stats: boolean): Promise<Stats | undefined> {
  const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, mode);
  try {
    opts.created?.();
    if (opts.uid !== undefined || opts.gid !== undefined) {
      const st = fstatSync(fd);
      if ((opts.uid !== undefined && opts.uid !== st.uid) || (opts.gid !== undefined && opts.gid !== st.gid)) {
        try {
          fchownSync(fd, opts.uid ?? -1, opts.gid ?? -1);
        } catch (err) {
          if (!opts.bestEffortOwner) throw err;
        }
      }
    }
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
    fchmodSync(fd, mode); // umask may have narrowed or (for 0644) not; be exact; after chown, which may clear bits
    await fsyncFd(fd);
    return stats ? fstatSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
