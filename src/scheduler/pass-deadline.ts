import { PassTimeoutError } from '../errors.js';

/** renew.passTimeout's default, for a configuration built without the schema (tests). */
export const DEFAULT_PASS_TIMEOUT_MS = 30 * 60_000;

/**
 * What a pass's signal is aborted with at renew.passTimeout, by `certkeeper run` and `renew --now`
 * alike: orders waiting on a DNS API, the CA or a hook stop there (TXT records removed, lock
 * released); a deploy already under way is not cut (its commands have their own timeouts).
 */
export function passTimeoutError(limitMs: number): PassTimeoutError {
  return new PassTimeoutError(`the renewal pass ran longer than renew.passTimeout (${human(limitMs)}) and this order was aborted while it waited for an answer (DNS API, CA or a hook)`);
}

/** 1800000 -> "30m": a duration the way the configuration writes it. */
export function human(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
