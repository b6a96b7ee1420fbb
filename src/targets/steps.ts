import { abortableSleep, pauseBefore } from '../retry.js';
import { BUSY_POLL } from '../cloud/api.js';
import type { CommonTargetOptions } from './descriptor.js';

/** A target's failure at one resource: "clb lb-1/lbl-2 (ap-guangzhou): ModifyListener failed: CODE: text". */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** Runs one step on a resource; whatever it throws comes back as one line naming the resource. */
export async function onResource<T>(resource: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortedError') throw err;
    throw new TargetError(`${resource}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Polls `check` until it returns a value, on the busy-resource schedule, for at most `timeoutMs`.
 * `check` returns undefined while the change is still running and throws when it failed.
 */
export async function waitFor<T>(what: string, timeoutMs: number, signal: AbortSignal, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let n = 1; ; n++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= until) throw new TargetError(`${what} did not finish within ${Math.round(timeoutMs / 1000)}s (taskTimeout); it may still complete, the next deploy checks again`);
    await abortableSleep(Math.min(pauseBefore(BUSY_POLL, n), Math.max(0, until - Date.now())), signal, `${what} aborted`);
  }
}

/** The API client settings every target shares, from its common options. */
export function apiSettings(o: CommonTargetOptions): { timeoutMs: number; retries: number; retryDelayMs: number } {
  return { timeoutMs: o.timeout, retries: o.retries, retryDelayMs: o.retryDelay };
}

/**
 * A deterministic name for an upload: the same certificate always gets the same one (idempotent
 * uploads). A long serial keeps its end: CAs that count serials up differ only in the last digits.
 */
export function uploadName(cert: { name: string; serial: string }, maxLength: number, allowed: RegExp = /[^A-Za-z0-9_-]/g): string {
  const serial = cert.serial.replace(/^0+/, '').slice(-32);
  const base = cert.name.replace(allowed, '_');
  const room = Math.max(1, maxLength - serial.length - 'certkeeper__'.length);
  return `certkeeper_${base.slice(0, room)}_${serial}`;
}
