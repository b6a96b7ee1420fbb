import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old or the new content, never a mix: a temp file in
 * the same directory, written and fsynced, renamed over the target, then the directory fsynced so the
 * rename itself survives a power cut.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeNewFileSynced(tmp, data, opts.mode ?? 0o644);
    await rename(tmp, path);
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
  const fh = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, mode);
  try {
    opts.created?.();
    if (opts.uid !== undefined || opts.gid !== undefined) {
      const st = await fh.stat();
      if ((opts.uid !== undefined && opts.uid !== st.uid) || (opts.gid !== undefined && opts.gid !== st.gid)) {
        await fh.chown(opts.uid ?? -1, opts.gid ?? -1).catch((err: unknown) => {
          if (!opts.bestEffortOwner) throw err;
        });
      }
    }
    // write() until done, not writeFile(): that one stats the file and goes through a stream-like loop.
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length; ) at += (await fh.write(buf, at, buf.length - at)).bytesWritten;
    await fh.chmod(mode); // umask may have narrowed or (for 0644) not; be exact; after chown, which may clear bits
    await fh.sync();
    return stats ? await fh.stat() : undefined;
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
