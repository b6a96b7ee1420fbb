/**
 * Retry schedule after failed renewals: 5 minutes after the first failure, doubling each time, capped
 * at 6 hours, with up to 10% random spread so many installations that failed together do not retry
 * together. A CA's Retry-After (rate limit) wins when it is later. Pure: `random` is injectable.
 */
export const BACKOFF_FIRST_MS = 5 * 60_000;
export const BACKOFF_MAX_MS = 6 * 3_600_000;

export function backoffDelay(failures: number, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(failures - 1, 20));
  return Math.round(base * (1 + 0.1 * random()));
}

export function nextAttemptAt(failures: number, now: Date, retryAfter?: Date, random?: () => number): Date {
  const t = new Date(now.getTime() + backoffDelay(failures, random));
  return retryAfter && retryAfter > t ? retryAfter : t;
}
