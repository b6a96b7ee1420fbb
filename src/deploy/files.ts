import { chown, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeployError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';

export interface FileSpec {
  path: string;
  content: string;
  mode: number;
}

/** What was at a path before we wrote it, so it can be put back exactly. */
export interface PreviousFile {
  path: string;
  existed: boolean;
  content?: Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Records the current state of each target path; refuses symlinks, which could redirect a write. */
export async function snapshot(paths: string[]): Promise<PreviousFile[]> {
  return Promise.all(
    paths.map(async (path) => {
      let st;
      try {
        st = await lstat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, existed: false };
        throw new DeployError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
      }
      if (st.isSymbolicLink()) throw new DeployError(`${path} is a symbolic link; certkeeper will not write through it: point files at the real path`);
      if (!st.isFile()) throw new DeployError(`${path} exists and is not a regular file`);
      return { path, existed: true, content: await readFile(path), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    }),
  );
}

/** Writes each file atomically, keeping the owner of a file it replaces. */
export async function writeFiles(files: FileSpec[], previous: PreviousFile[]): Promise<void> {
  for (const f of files) {
    await mkdir(dirname(f.path), { recursive: true, mode: 0o755 });
    await writeFileAtomic(f.path, f.content, { mode: f.mode });
    const prev = previous.find((p) => p.path === f.path);
    if (prev?.existed && prev.uid !== undefined && (prev.uid !== process.getuid?.() || prev.gid !== process.getgid?.())) {
      await chown(f.path, prev.uid, prev.gid!).catch(() => undefined);
    }
  }
}

/** Puts every file back as it was: content, mode and owner; removes files that did not exist. */
export async function restoreFiles(previous: PreviousFile[]): Promise<void> {
  for (const p of previous) {
    if (!p.existed) {
      await rm(p.path, { force: true });
      continue;
    }
    await writeFileAtomic(p.path, p.content!, { mode: p.mode });
    await chown(p.path, p.uid!, p.gid!).catch(() => undefined);
  }
}
