/**
 * The CLI's clock. CERTKEEPER_TEST_NOW_OFFSET (seconds, may be negative) shifts it, for tests that
 * need "later" without waiting; it is test-only and not part of the supported interface. The lock's
 * heartbeat always uses the real clock, so a shifted process never judges a live lock stale.
 */
export function cliClock(env: NodeJS.ProcessEnv): () => Date {
  const raw = env.CERTKEEPER_TEST_NOW_OFFSET;
  const offset = raw && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : 0;
  return offset ? () => new Date(Date.now() + offset) : () => new Date();
}
