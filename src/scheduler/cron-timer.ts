import cron from 'node-cron';

/** What the daemon needs of its renewal schedule. */
export interface CronTimer {
  getNextRun(): Date | null;
  destroy(): void;
}

/** node-cron's fields of an expression made only of numbers (no L, W or #). */
export interface NumericFields {
  second: ReadonlySet<number>;
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  dayOfMonth: ReadonlySet<number>;
  month: ReadonlySet<number>;
  dayOfWeek: ReadonlySet<number>;
}

// node-cron skips a run found more than this late (a suspended machine), and so do we.
const MISSED_TOLERANCE_MS = 1000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const SEARCH_LIMIT_MS = 8 * 366 * 86_400_000;

/**
 * Runs `fn` on the cron expression `expr`. node-cron works out every time through
 * Intl.DateTimeFormat, which brings ICU's locale and time-zone data into the process (~8 MB of RSS
 * the idle daemon keeps). An expression of plain numbers (the default schedule and nearly every
 * hand-written one) is walked here with Date's local-time getters instead, on node-cron's own parse
 * and meaning (day of month AND day of week); one with L, W or # is left to node-cron.
 */
export function scheduleCron(expr: string, fn: () => void, name: string): CronTimer {
  const fields = numericFields(expr);
  return fields ? new NumericCronTimer(fields, fn) : cron.schedule(expr, fn, { name });
}

/** The expression's fields when each is a list of numbers, else undefined. */
export function numericFields(expr: string): NumericFields | undefined {
  const parsed = cron.parse(expr) as unknown as Record<keyof NumericFields, unknown[]>;
  const keys = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
  if (!keys.every((k) => parsed[k].every((v) => typeof v === 'number'))) return undefined;
  if ((parsed.dayOfWeek as number[]).some((d) => d > 6)) return undefined;
  return Object.fromEntries(keys.map((k) => [k, new Set(parsed[k] as number[])])) as unknown as NumericFields;
}

/** The first whole second after `after` (local time) that the fields match; undefined within 8 years. */
export function nextCronRun(f: NumericFields, after: Date): Date | undefined {
  const d = new Date(after.getTime());
  d.setMilliseconds(0);
  d.setSeconds(d.getSeconds() + 1);
  const limit = after.getTime() + SEARCH_LIMIT_MS;
  // Each step moves forward to the start of the next month, day, hour, minute or second.
  while (d.getTime() <= limit) {
    if (!f.month.has(d.getMonth() + 1)) d.setMonth(d.getMonth() + 1, 1), d.setHours(0, 0, 0);
    else if (!f.dayOfMonth.has(d.getDate()) || !f.dayOfWeek.has(d.getDay())) d.setDate(d.getDate() + 1), d.setHours(0, 0, 0);
    else if (!f.hour.has(d.getHours())) d.setHours(d.getHours() + 1, 0, 0);
    else if (!f.minute.has(d.getMinutes())) d.setMinutes(d.getMinutes() + 1, 0);
    else if (!f.second.has(d.getSeconds())) d.setSeconds(d.getSeconds() + 1);
    else return d;
  }
  return undefined;
}

class NumericCronTimer implements CronTimer {
  private next?: Date;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly fields: NumericFields,
    private readonly fn: () => void,
  ) {
    this.plan(new Date());
  }

  getNextRun(): Date | null {
    return this.next ?? null;
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = undefined;
  }

  private plan(after: Date): void {
    this.next = nextCronRun(this.fields, after);
    if (this.next) this.wait();
  }

  /** setTimeout holds at most ~24.8 days: a longer wait is waited in steps. */
  private wait(): void {
    const next = this.next!;
    this.timer = setTimeout(() => {
      const late = Date.now() - next.getTime();
      if (late < 0) return this.wait();
      this.plan(new Date(Math.max(Date.now(), next.getTime())));
      if (late <= MISSED_TOLERANCE_MS) this.fn();
    }, Math.min(Math.max(next.getTime() - Date.now(), 0), MAX_TIMEOUT_MS));
  }
}
