import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { link, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LockedError, StoreError } from '../errors.js';
import { tempPathFor, writeFileSynced } from './atomic.js';

/** Where a PID means something: the host, its boot and the PID namespace the holder lives in. */
export interface PidSpace {
  host: string;
  /** /proc/sys/kernel/random/boot_id: a PID from before a reboot names nothing now. */
  bootId?: string;
  /** readlink /proc/self/ns/pid, e.g. "pid:[4026531836]": containers sharing a volume and a hostname differ here. */
  pidNs?: string;
}

interface LockInfo extends PidSpace {
  pid: number;
  token: string;
  startedAt: string;
  heartbeat: string;
}

export interface LockOptions {
  /** How long to wait for another holder to finish; 0 fails at once. */
  waitMs?: number;
  /** A lock whose heartbeat is older than this is stale (its holder hung or its host died). */
  staleMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  now?: () => Date;
  logger?: Logger;
  /** Stops waiting early (a signal while waiting). */
  signal?: AbortSignal;
}

export interface HeldLock {
  path: string;
  /**
   * Aborts (reason: a LockedError) when the heartbeat finds that another process has taken the lock
   * over, e.g. after this one was paused longer than the stale time. Work done under the lock must stop.
   */
  signal: AbortSignal;
  release(): Promise<void>;
}

export const LOCK_FILE = 'certkeeper.lock';

/** True when a process with this PID exists on this machine (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's PID space; a field that cannot be read (no /proc) is left out. */
export function currentPidSpace(): PidSpace {
  const read = (f: () => string) => {
    try {
      return f().trim();
    } catch {
      return undefined;
    }
  };
  return {
    host: hostname(),
    bootId: read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNs: read(() => readlinkSync('/proc/self/ns/pid')),
  };
}

/**
 * Whether the holder's PID can be looked up from here: same host, same boot, same PID namespace.
 * Two containers sharing a data volume and a hostname have different PID namespaces; a lock written
 * without these fields (an older certkeeper) matches only where neither side can read them.
 */
export function samePidSpace(a: PidSpace, b: PidSpace): boolean {
  return a.host === b.host && a.bootId === b.bootId && a.pidNs === b.pidNs;
}

/**
 * Why a lock is stale, or undefined if its holder looks alive. Pure apart from the PID probe. The
 * PID is trusted only within the holder's own PID space; elsewhere the heartbeat age alone decides.
 */
export function staleReason(
  info: LockInfo | undefined,
  now: Date,
  staleMs: number,
  alive: (pid: number) => boolean = pidAlive,
  here: PidSpace = currentPidSpace(),
): string | undefined {
  if (!info) return 'unreadable lock file';
  const age = now.getTime() - Date.parse(info.heartbeat);
  if (!(age < staleMs)) return `heartbeat is ${Math.round(age / 1000)}s old`;
  if (samePidSpace(info, here) && !alive(info.pid)) return `holder PID ${info.pid} is not running`;
  return undefined;
}

/**
 * One pass at a time per dataDir: `dataDir/certkeeper.lock` holds the holder's PID and PID space
 * (host, boot id, PID namespace). It is created by link() (atomic, fails if present). While working,
 * the holder keeps the file open and refreshes its mtime through that handle: the heartbeat belongs
 * to its own inode, so a holder that was paused cannot write over a lock another process has taken
 * since, and finds out it lost the lock because the path names another inode. A stale lock (a dead
 * PID in our own PID space, or a heartbeat older than staleMs) is moved aside and taken over; taking
 * over checks that the file moved aside is the one judged stale (same inode, same heartbeat), so two
 * processes cannot both take the same stale lock.
 */
export async function acquireLock(dataDir: string, opts: LockOptions = {}): Promise<HeldLock> {
  const now = opts.now ?? (() => new Date());
  const staleMs = opts.staleMs ?? 120_000;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(1000, Math.floor(staleMs / 4));
  const path = join(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(8).toString('hex');
  const here = currentPidSpace();
  const deadline = Date.now() + (opts.waitMs ?? 0);
  let announced = false;
  let held: FileHandle;

  for (;;) {
    // Written to a temp file and hard-linked into place: the lock appears complete or not at all.
    const tmp = tempPathFor(path);
    const at = now().toISOString();
    try {
      await writeFileSynced(tmp, `${JSON.stringify({ pid: process.pid, ...here, token, startedAt: at, heartbeat: at } satisfies LockInfo)}\n`, 0o600);
      held = await open(tmp, 'r');
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new StoreError(`cannot create the lock file ${path}: ${(err as Error).message}; free space in the data directory or fix its permissions`, { cause: err });
    }
    try {
      await link(tmp, path);
      break;
    } catch (err) {
      await held.close();
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const seen = await readLock(path);
    if (!seen) continue; // released between our link and read: try again
    const holder = seen.info;
    const stale = staleReason(holder, now(), staleMs, pidAlive, here);
    if (stale) {
      if (await takeOver(path, seen)) {
        opts.logger?.warn({ lock: path, holder: holder?.pid, why: stale }, 'took over a stale lock');
      }
      continue;
    }
    if (Date.now() >= deadline || opts.signal?.aborted) {
      throw new LockedError(
        `another certkeeper process (PID ${holder!.pid} on ${holder!.host}, since ${holder!.startedAt}) is renewing in ${dataDir}; ` +
          'try again later, or pass --wait SECONDS to wait for it',
      );
    }
    if (!announced) {
      opts.logger?.info({ lock: path, holder: holder!.pid }, 'waiting for another certkeeper process to finish its pass');
      announced = true;
    }
    await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 250, Math.max(1, deadline - Date.now()))));
  }

  const { ino } = await held.stat();
  const stillOurs = async () => (await stat(path).catch(() => undefined))?.ino === ino;
  const lost = new AbortController();
  const timer = setInterval(() => {
    void (async () => {
      if (await stillOurs()) {
        const t = now();
        return held.utimes(t, t);
      }
      clearInterval(timer);
      const current = (await readLock(path))?.info;
      const by = current ? `PID ${current.pid} on ${current.host}` : 'nobody (the lock file is gone)';
      opts.logger?.error({ lock: path, holder: current?.pid }, 'lost the lock to another process (was this one paused too long?); stopping the work done under it');
      lost.abort(new LockedError(`lost the lock ${path} (now held by ${by}); this process stopped its work so that only one process renews and deploys`));
    })().catch((err: unknown) => opts.logger?.warn({ lock: path, err: (err as Error).message }, 'could not refresh the lock heartbeat'));
  }, heartbeatMs);
  timer.unref();

  return {
    path,
    signal: lost.signal,
    async release() {
      clearInterval(timer);
      if (await stillOurs()) await rm(path, { force: true });
      await held.close().catch(() => undefined);
    },
  };
}

/** A lock file as read through one handle: its holder (heartbeat: the later of the recorded one and the mtime), and which inode it was. */
interface SeenLock {
  info?: LockInfo;
  ino: number;
  mtimeMs: number;
}

async function readLock(path: string): Promise<SeenLock | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    const info = parseLock(await fh.readFile('utf8'));
    if (info) info.heartbeat = new Date(Math.max(Date.parse(info.heartbeat) || 0, st.mtimeMs)).toISOString();
    return { info, ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === 'number' && typeof v.heartbeat === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Moves the stale lock aside; if what was moved is not what we judged stale (another inode, or refreshed since), puts it back. */
async function takeOver(path: string, judged: SeenLock): Promise<boolean> {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return false;
  }
  const moved = await readLock(aside);
  if (moved?.ino !== judged.ino || moved.mtimeMs !== judged.mtimeMs) {
    await link(aside, path).catch(() => undefined); // fails if someone already created a new lock
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}
