import type { Notice } from './messages.js';

export interface QueueDeps {
  now: () => number;
  /** Resolves after `ms`, or early when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface QueueOptions {
  perMinute: number;
  minGapMs: number;
  /** Pause before retrying a send the vendor may accept later (rate limited, 5xx, network). */
  retryMs: number;
  maxAttempts: number;
}

export const realSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * One channel's outbox. Sends at most `perMinute` messages in any 60 s window and keeps `minGapMs`
 * between two; notices that arrive while it waits are merged into the next message, so a burst of
 * failures becomes one alert instead of a muted robot. Errors go to `onError`; nothing is thrown
 * to the caller, so an alert can never fail or hold up a renewal.
 */
export class ChannelQueue {
  private pending: Notice[] = [];
  private sent: number[] = [];
  private running?: Promise<void>;
  private readonly stop = new AbortController();

  constructor(
    private readonly send: (notices: Notice[], signal: AbortSignal) => Promise<void>,
    private readonly opts: QueueOptions,
    private readonly deps: QueueDeps,
    private readonly onError: (err: unknown, notices: Notice[]) => void,
  ) {}

  push(notice: Notice): void {
    if (this.stop.signal.aborted) return;
    this.pending.push(notice);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when everything queued so far has been sent or given up. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  close(): void {
    this.stop.abort();
    this.pending = [];
  }

  private async drain(): Promise<void> {
    // Let events emitted in the same tick (one pass's results) travel together.
    await new Promise((r) => setImmediate(r));
    let attempts = 0;
    while (this.pending.length && !this.stop.signal.aborted) {
      const wait = this.waitMs();
      if (wait > 0) await this.deps.sleep(wait, this.stop.signal);
      if (this.stop.signal.aborted) return;
      const batch = this.pending.splice(0);
      this.sent.push(this.deps.now());
      try {
        await this.send(batch, this.stop.signal);
        attempts = 0;
      } catch (err) {
        attempts++;
        if ((err as { retry?: boolean }).retry && attempts < this.opts.maxAttempts) {
          this.pending.unshift(...batch);
          await this.deps.sleep(this.opts.retryMs, this.stop.signal);
        } else {
          attempts = 0;
          this.onError(err, batch);
        }
      }
    }
  }

  /** How long until the limits allow one more message. */
  private waitMs(): number {
    const now = this.deps.now();
    this.sent = this.sent.filter((t) => now - t < 60_000);
    let wait = 0;
    if (this.sent.length >= this.opts.perMinute) wait = this.sent[this.sent.length - this.opts.perMinute]! + 60_000 - now;
    const last = this.sent[this.sent.length - 1];
    if (last !== undefined) wait = Math.max(wait, last + this.opts.minGapMs - now);
    return wait;
  }
}
