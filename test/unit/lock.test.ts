import { spawnSync } from 'node:child_process';
import { readFile, readdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { LOCK_FILE, acquireLock, currentPidSpace, staleReason } from '../../src/store/lock.js';
import { tempDir } from '../harness/scenario.js';

/** A PID that existed a moment ago and does not any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const lockText = (pid: number, heartbeat: Date, space: object = currentPidSpace()) =>
  JSON.stringify({ pid, ...space, token: 'other', startedAt: heartbeat.toISOString(), heartbeat: heartbeat.toISOString() });

describe('lock', () => {
  it('one holder at a time: a second acquire fails at once, or waits for the release', async () => {
    const dir = await tempDir();
    const a = await acquireLock(dir);
    await expect(acquireLock(dir)).rejects.toThrow(LockedError);
    await expect(acquireLock(dir)).rejects.toThrow(new RegExp(`PID ${process.pid}.*--wait`));
    const waiting = acquireLock(dir, { waitMs: 10_000, pollMs: 20 });
    await a.release();
    const b = await waiting;
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await b.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock whose holder PID is dead', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), lockText(deadPid(), new Date()));
    const l = await acquireLock(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).token).not.toBe('other');
    await l.release();
  });

  it('takes over a lock whose heartbeat is old although its PID lives', async () => {
    const dir = await tempDir();
    const old = new Date(Date.now() - 10 * 60_000);
    await writeFile(join(dir, LOCK_FILE), lockText(process.ppid, old));
    await utimes(join(dir, LOCK_FILE), old, old); // the heartbeat is the file's mtime
    await expect(acquireLock(dir, { staleMs: 60 * 60_000 })).rejects.toThrow(LockedError);
    const l = await acquireLock(dir, { staleMs: 60_000 });
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await l.release();
  });

  it('keeps its heartbeat fresh while held, so a waiting process does not take it over', async () => {
    const dir = await tempDir();
    const l = await acquireLock(dir, { staleMs: 1500, heartbeatMs: 100 });
    const first = (await stat(join(dir, LOCK_FILE))).mtimeMs;
    await expect(acquireLock(dir, { staleMs: 1500, waitMs: 2500, pollMs: 50 })).rejects.toThrow(LockedError);
    expect((await stat(join(dir, LOCK_FILE))).mtimeMs).toBeGreaterThan(first);
    await l.release();
  });

  it('judges staleness from the heartbeat age and the PID', () => {
    const now = new Date();
    const info = (pid: number, ageMs: number) => JSON.parse(lockText(pid, new Date(now.getTime() - ageMs)));
    expect(staleReason(info(1234, 1000), now, 60_000, () => true)).toBeUndefined();
    expect(staleReason(info(1234, 1000), now, 60_000, () => false)).toMatch(/PID 1234 is not running/);
    expect(staleReason(info(1234, 120_000), now, 60_000, () => true)).toMatch(/heartbeat is 120s old/);
    expect(staleReason(undefined, now, 60_000)).toMatch(/unreadable/);
  });

  it('trusts the PID only in its own PID space (host, boot id, PID namespace); elsewhere only the heartbeat age', () => {
    const now = new Date();
    const here = { host: 'web', bootId: 'b1', pidNs: 'pid:[4026531836]' };
    const info = (space: object, ageMs: number) => JSON.parse(lockText(1234, new Date(now.getTime() - ageMs), space));
    const dead = () => false;
    expect(staleReason(info(here, 1000), now, 60_000, dead, here)).toMatch(/PID 1234 is not running/);
    // Another container with the same hostname: its PID says nothing here.
    expect(staleReason(info({ ...here, pidNs: 'pid:[4026532178]' }, 1000), now, 60_000, dead, here)).toBeUndefined();
    // The same namespace inode after a reboot: another boot.
    expect(staleReason(info({ ...here, bootId: 'b0' }, 1000), now, 60_000, dead, here)).toBeUndefined();
    // A lock from a version that did not record its PID space.
    expect(staleReason(info({ host: 'web' }, 1000), now, 60_000, dead, here)).toBeUndefined();
    expect(staleReason(info({ ...here, pidNs: 'pid:[4026532178]' }, 120_000), now, 60_000, dead, here)).toMatch(/heartbeat is 120s old/);
  });

  it('records its PID space in the lock, and aborts its signal when another process takes the lock over', async () => {
    const dir = await tempDir();
    const l = await acquireLock(dir, { heartbeatMs: 50 });
    const held = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(held).toMatchObject({ ...currentPidSpace(), pid: process.pid });
    expect(held.pidNs).toMatch(/^pid:\[\d+\]$/);
    expect(l.signal.aborted).toBe(false);
    // A takeover links a new file into place; the holder's heartbeat goes to its own, now unlinked, inode.
    await writeFile(join(dir, 'new.lock'), lockText(process.ppid, new Date()));
    await rename(join(dir, 'new.lock'), join(dir, LOCK_FILE));
    await new Promise((r) => l.signal.addEventListener('abort', r, { once: true }));
    expect(l.signal.reason).toBeInstanceOf(LockedError);
    expect((l.signal.reason as Error).message).toMatch(new RegExp(`lost the lock .*now held by PID ${process.ppid}`));
    await l.release();
    // Releasing a lost lock leaves the new holder's file alone.
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).token).toBe('other');
  });
});
