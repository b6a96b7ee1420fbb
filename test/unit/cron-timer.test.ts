import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextCronRun, numericFields } from '../../src/scheduler/cron-timer.js';

// node-cron's own answer, with the clock set to `at` (it plans from the current time).
function nodeCronNext(expr: string, at: Date): Date | null {
  vi.useFakeTimers({ now: at, toFake: ['Date'] });
  try {
    return cron.createTask(expr, () => undefined).getNextRuns(1)[0] ?? null;
  } finally {
    vi.useRealTimers();
  }
}

describe('the renewal schedule without node-cron\'s Intl', () => {
  afterEach(() => vi.useRealTimers());

  const expressions = ['17 3,15 * * *', '0 0 1 1 *', '*/5 * * * *', '30 2 * * 1-5', '0 12 13 * 5', '0 0 29 2 *', '15 10 * * sun', '5 4 * jun,dec 0', '*/20 * * * * *', '@daily', '0 */6 1,15 * *'];
  const starts = ['2026-01-01T00:00:00Z', '2026-02-28T23:59:59.500Z', '2026-03-08T07:30:00Z', '2026-06-15T03:17:00Z', '2026-10-31T23:59:30Z', '2026-12-31T23:59:59.999Z', '2027-07-04T12:00:00.001Z'];

  it.each(expressions)('finds the same next run as node-cron for %s', (expr) => {
    const fields = numericFields(expr);
    expect(fields).toBeDefined();
    for (const s of starts) expect(nextCronRun(fields!, new Date(s))?.toISOString(), `${expr} after ${s}`).toBe(nodeCronNext(expr, new Date(s))?.toISOString());
  });

  it('leaves L, W and # to node-cron', () => {
    for (const expr of ['0 0 L * *', '0 0 15W * *', '0 0 * * 5#2', '0 0 * * 5L']) expect(numericFields(expr), expr).toBeUndefined();
  });
});
