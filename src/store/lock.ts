import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LockedError, StoreError } from '../errors.js';
import { tempPathFor, writeFileAtomic, writeFileSynced } from './atomic.js';

interface LockInfo {
  pid: number;
  host: string;
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

/** Why a lock is stale, or undefined if its holder looks alive. Pure apart from the PID probe. */
export function staleReason(info: LockInfo | undefined, now: Date, staleMs: number, alive: (pid: number) => boolean = pidAlive): string | undefined {
  if (!info) return 'unreadable lock file';
  const age = now.getTime() - Date.parse(info.heartbeat);
  if (!(age < staleMs)) return `heartbeat is ${Math.round(age / 1000)}s old`;
  if (info.host === hostname() && !alive(info.pid)) return `holder PID ${info.pid} is not running`;
  return undefined;
}

/**
 * One pass at a time per dataDir: `dataDir/certkeeper.lock` holds the holder's PID, host and a
 * heartbeat refreshed while it works. It is created by link() (atomic, fails if present); a stale one (dead PID on this host,
 * or a heartbeat older than staleMs) is moved aside and taken over. Taking over checks that the file
 * moved aside is the one judged stale, so two processes cannot both take the same stale lock.
 */
export async function acquireLock(dataDir: string, opts: LockOptions = {}): Promise<HeldLock> {
  const now = opts.now ?? (() => new Date());
  const staleMs = opts.staleMs ?? 120_000;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(1000, Math.floor(staleMs / 4));
  const path = join(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(8).toString('hex');
  const started = now().toISOString();
  const content = () => `${JSON.stringify({ pid: process.pid, host: hostname(), token, startedAt: started, heartbeat: now().toISOString() } satisfies LockInfo)}\n`;
  const deadline = Date.now() + (opts.waitMs ?? 0);
  let announced = false;

  for (;;) {
    // Written to a temp file and hard-linked into place: the lock appears complete or not at all.
    const tmp = tempPathFor(path);
    try {
      await writeFileSynced(tmp, content(), 0o600);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new StoreError(`cannot create the lock file ${path}: ${(err as Error).message}; free space in the data directory or fix its permissions`, { cause: err });
    }
    try {
      await link(tmp, path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released between our open and read: try again
    const holder = parseLock(text);
    const stale = staleReason(holder, now(), staleMs);
    if (stale) {
      if (await takeOver(path, text)) {
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

  let lost = false;
  const timer = setInterval(() => {
    void (async () => {
      const current = parseLock(await readFile(path, 'utf8').catch(() => ''));
      if (current?.token !== token) {
        if (!lost) opts.logger?.error({ lock: path }, 'lost the lock to another process (was this one paused too long?)');
        lost = true;
        return;
      }
      await writeFileAtomic(path, content(), { mode: 0o600 });
    })().catch((err: unknown) => opts.logger?.warn({ lock: path, err: (err as Error).message }, 'could not refresh the lock heartbeat'));
  }, heartbeatMs);
  timer.unref();

  return {
    path,
    async release() {
      clearInterval(timer);
      const current = parseLock(await readFile(path, 'utf8').catch(() => ''));
      if (current?.token === token) await rm(path, { force: true });
    },
  };
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === 'number' && typeof v.heartbeat === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Moves the stale lock aside; if what was moved is not what we judged stale, puts it back. */
async function takeOver(path: string, judged: string): Promise<boolean> {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return false;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== judged) {
    await link(aside, path).catch(() => undefined); // fails if someone already created a new lock
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}
