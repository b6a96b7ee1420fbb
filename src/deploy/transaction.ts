import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DeployError } from '../errors.js';
import { fsyncDir, writeFileAtomic, writeFileSynced } from '../store/atomic.js';
import { crashPoint, pausePoint } from '../testing/crash-points.js';
import { currentIdentity, ownershipProblem, type Identity } from './owner.js';

export interface PlannedFile {
  path: string;
  content: string | Uint8Array;
  mode: number;
  uid?: number;
  gid?: number;
  /** Mode and group for directories this write has to create (they stay owned by certkeeper's user). */
  dirMode: number;
  dirGid?: number;
  allowSymlink: boolean;
}

type Staged = PlannedFile & { existed: boolean; written?: Pick<Stats, 'dev' | 'ino'> };

interface JournalEntry {
  /** The real path written (a permitted symlink is resolved first). */
  path: string;
  existed: boolean;
}

interface Journal {
  id: string;
  state: 'applying' | 'committed';
  files: JournalEntry[];
}

const newPath = (p: string) => join(dirname(p), `.${basename(p)}.certkeeper-new`);
/** The previous file, kept as a hard link to its inode: content, mode and owner preserved exactly. */
export const prevPath = (p: string) => join(dirname(p), `.${basename(p)}.certkeeper-prev`);

/**
 * Writes a set of files so that, after any crash and the recovery that follows it, the whole old set
 * or the whole new set is on disk. Order: journal (which files, did each exist) → stage every new
 * file beside its target (fsync) → keep each old file as a hard link → rename each new file into
 * place. Until commit() the old set can be put back by renaming the links back; recoverJournals()
 * does that for a journal a crashed process left behind.
 */
export class FileSetTransaction {
  private entries: JournalEntry[] = [];
  private constructor(private readonly journalFile: string, private readonly id: string) {}

  static async apply(journalDir: string, id: string, files: PlannedFile[], who: Identity = currentIdentity()): Promise<FileSetTransaction> {
    const key = createHash('sha256').update(files.map((f) => f.path).sort().join('\0')).digest('hex').slice(0, 16);
    const tx = new FileSetTransaction(join(journalDir, `${key}.json`), id);
    const planned: Staged[] = [];
    for (const f of files) {
      const found = await inspect(f);
      // Without a configured owner, a replaced file keeps the owner it had.
      planned.push({ ...f, path: found.path, existed: found.existed, uid: f.uid ?? found.uid, gid: f.gid ?? found.gid });
    }
    const dirs = new Map<string, PlannedFile>();
    for (const f of planned) for (const d of await missingDirs(dirname(f.path))) if (!dirs.has(d)) dirs.set(d, f);
    // Refuse before touching anything when an owner cannot be set (no CAP_CHOWN: Docker's cap_drop, a non-root user).
    const problem = ownershipProblem(
      [
        ...planned.map((f, i) => ({ path: f.path, uid: f.uid, gid: f.gid, from: files[i]!.uid !== undefined || files[i]!.gid !== undefined ? ('config' as const) : ('previous' as const) })),
        ...[...dirs].map(([d, f]) => ({ path: d, gid: f.dirGid, from: 'config' as const })),
      ],
      who,
    );
    if (problem) throw new DeployError(problem);
    for (const [d, f] of dirs) await makeDir(d, f.dirMode, f.dirGid);
    tx.entries = planned.map((f) => ({ path: f.path, existed: f.existed }));

    await mkdir(journalDir, { recursive: true, mode: 0o700 });
    await tx.writeJournal('applying');
    crashPoint('after-journal');
    try {
      await tx.swap(planned);
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw new DeployError(`writing ${planned.map((f) => f.path).join(', ')} failed (previous files kept): ${(err as Error).message}`, { cause: err });
    }
    return tx;
  }

  private async swap(planned: Staged[]): Promise<void> {
    for (const [i, f] of planned.entries()) {
      const staged = newPath(f.path);
      await rm(staged, { force: true });
      // Created exclusively (never through a link), owner and mode set on the open file, never by name.
      f.written = await writeFileSynced(staged, f.content, f.mode, { uid: f.uid, gid: f.gid, created: () => pausePoint(`staged-${i}`) });
      crashPoint(`after-stage-${i}`);
    }
    for (const [i, f] of planned.entries()) {
      if (!f.existed) continue;
      await rm(prevPath(f.path), { force: true });
      await keepPrevious(f.path);
      crashPoint(`after-prev-${i}`);
    }
    await syncDirs(planned.map((f) => f.path));
    for (const [i, f] of planned.entries()) {
      await rename(newPath(f.path), f.path);
      await checkWritten(f);
      crashPoint(`after-rename-${i}`);
    }
    await syncDirs(planned.map((f) => f.path));
    crashPoint('after-renames');
  }

  /** Puts the previous set back exactly (the kept inodes), removes files that did not exist before. */
  async rollback(): Promise<void> {
    await restore(this.entries);
    await rm(this.journalFile, { force: true });
  }

  /** The new set stays: mark it committed, then drop the kept previous files and the journal. */
  async commit(): Promise<void> {
    await this.writeJournal('committed');
    crashPoint('after-commit-journal');
    await cleanup(this.entries);
    await rm(this.journalFile, { force: true });
    crashPoint('after-commit');
  }

  private async writeJournal(state: Journal['state']): Promise<void> {
    const j: Journal = { id: this.id, state, files: this.entries };
    await writeFileAtomic(this.journalFile, `${JSON.stringify(j)}\n`, { mode: 0o600 });
  }
}

/**
 * Finishes what a crashed deploy left: a committed journal is rolled forward (old copies dropped),
 * any other is rolled back to the previous set. Idempotent, so a crash during recovery is fine too.
 * Returns the ids of the transactions it recovered.
 */
export async function recoverJournals(journalDir: string): Promise<{ id: string; action: 'rolled-back' | 'rolled-forward' }[]> {
  const names = await readdir(journalDir).catch(() => [] as string[]);
  const out: { id: string; action: 'rolled-back' | 'rolled-forward' }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = join(journalDir, name);
    let j: Journal;
    try {
      j = JSON.parse(await readFile(file, 'utf8')) as Journal;
    } catch (err) {
      throw new DeployError(`deploy journal ${file} is unreadable (${(err as Error).message}); check the files it names by hand, then delete it`);
    }
    if (j.state === 'committed') await cleanup(j.files);
    else await restore(j.files);
    await rm(file, { force: true });
    out.push({ id: j.id, action: j.state === 'committed' ? 'rolled-forward' : 'rolled-back' });
  }
  return out;
}

async function restore(entries: JournalEntry[]): Promise<void> {
  for (const e of entries) {
    if (e.existed) {
      // No kept copy means the renames had not started (or this file is already restored): it is old.
      if (await exists(prevPath(e.path))) {
        // Before its rename the target and the kept link are one inode, and rename() between two
        // links of the same file does nothing (POSIX): then the target is old, just drop the link.
        if (await sameFile(prevPath(e.path), e.path)) await rm(prevPath(e.path));
        else await rename(prevPath(e.path), e.path);
      }
    } else {
      await rm(e.path, { force: true });
    }
    await rm(newPath(e.path), { force: true });
  }
  await syncDirs(entries.map((e) => e.path));
}

async function cleanup(entries: JournalEntry[]): Promise<void> {
  for (const e of entries) {
    await rm(prevPath(e.path), { force: true });
    await rm(newPath(e.path), { force: true });
  }
  await syncDirs(entries.map((e) => e.path));
}

/** Whether the target exists; refuses a symlink (it could redirect a root-owned write) unless allowed. */
export async function inspect(f: Pick<PlannedFile, 'path' | 'allowSymlink'>): Promise<{ path: string; existed: boolean; uid?: number; gid?: number }> {
  let st;
  try {
    st = await lstat(f.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: f.path, existed: false };
    throw new DeployError(`cannot read ${f.path}: ${(err as Error).message}`, { cause: err });
  }
  if (st.isSymbolicLink()) {
    if (!f.allowSymlink) throw new DeployError(`${f.path} is a symbolic link; certkeeper will not write through it: point the target at the real path, or set allowSymlinks: true`);
    const real = await realpath(f.path).catch(() => undefined);
    if (!real) throw new DeployError(`${f.path} is a symbolic link to a missing file`);
    return inspect({ ...f, path: real, allowSymlink: false });
  }
  if (!st.isFile()) throw new DeployError(`${f.path} exists and is not a regular file`);
  return { path: f.path, existed: true, uid: st.uid, gid: st.gid };
}

/**
 * After the rename the target must be the very file certkeeper wrote: someone able to write to the
 * directory could have swapped the staged name for a link or another file. Fail closed (the caller
 * rolls back) rather than leave in place, or later reload, what another user put there.
 */
async function checkWritten(f: Staged): Promise<void> {
  const st = await lstat(f.path).catch(() => undefined);
  if (!st || !st.isFile() || st.ino !== f.written?.ino || st.dev !== f.written.dev) {
    const what = !st ? 'is missing' : st.isSymbolicLink() ? 'is a symbolic link' : 'is not the file certkeeper wrote';
    throw new DeployError(`${f.path} ${what} right after it was written: another user can change ${dirname(f.path)}; make that directory writable only by the user certkeeper runs as`);
  }
}

async function keepPrevious(path: string): Promise<void> {
  try {
    await link(path, prevPath(path));
  } catch (err) {
    // Some filesystems (certain network or FUSE mounts) have no hard links: copy content, mode, owner.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await copyPreserving(path, prevPath(path));
  }
}

/** Copies a regular file (never through a link) with its owner and mode, set on the open copy. */
async function copyPreserving(from: string, to: string): Promise<void> {
  const src = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await src.stat();
    if (!st.isFile()) throw new DeployError(`${from} is not a regular file`);
    await writeFileSynced(to, await src.readFile(), st.mode & 0o7777, { uid: st.uid, gid: st.gid, bestEffortOwner: true });
  } finally {
    await src.close();
  }
}

/** The directories that `dir` needs created, outermost first. */
async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; !(await exists(d)); d = dirname(d)) missing.unshift(d);
  return missing;
}

/** Creates one directory, owned by certkeeper's user; group and mode set on the open directory. */
async function makeDir(d: string, mode: number, gid?: number): Promise<void> {
  await mkdir(d, { mode });
  const fh = await open(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (gid !== undefined && (await fh.stat()).gid !== gid) await fh.chown(-1, gid);
    await fh.chmod(mode); // umask must not widen or narrow it
  } finally {
    await fh.close();
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([lstat(a), lstat(b).catch(() => undefined)]);
  return Boolean(y && x.ino === y.ino && x.dev === y.dev);
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function syncDirs(paths: string[]): Promise<void> {
  for (const d of new Set(paths.map((p) => dirname(p)))) await fsyncDir(d).catch(() => undefined);
}
