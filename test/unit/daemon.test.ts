import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.js';
import { ConfigError, PassTimeoutError } from '../../src/errors.js';
import { Daemon } from '../../src/scheduler/daemon.js';
import type { PassOptions } from '../../src/scheduler/pass.js';
import { waitFor } from '../harness/ports.js';

// A schedule that does not fire during a test: passes come only from start, reload and wake timers.
const config = { dataDir: '/nonexistent', certificates: [], renew: { schedule: '0 0 1 1 *', randomDelay: 0, concurrency: 4, beforeDays: 30 } } as unknown as Config;
const silent = pino({ level: 'silent' });

describe('daemon scheduling (the pass itself replaced)', () => {
  it('runs a pass at start, and another when a backoff or window ends before the next scheduled pass', async () => {
    const calls: string[] = [];
    const d = new Daemon({
      loadConfig: async () => config,
      logger: silent,
      pass: async (_c, _l, opts: PassOptions = {}) => {
        calls.push(new Date().toISOString());
        if (calls.length === 1) opts.onWake?.(new Date(Date.now() + 300));
        return [];
      },
    });
    await d.start();
    await waitFor(async () => calls.length === 2, 'the planned retry pass', 10_000);
    await d.stop();
  });

  it('never overlaps passes: triggers during a pass run one more pass afterwards; stop aborts the pass in flight', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    let aborted = false;
    let release!: () => void;
    const d = new Daemon({
      loadConfig: async () => config,
      logger: silent,
      pass: async (_c, _l, opts: PassOptions = {}) => {
        passes++;
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => {
          release = r;
          opts.signal?.addEventListener('abort', () => ((aborted = true), r()), { once: true });
        });
        active--;
        return [];
      },
    });
    await d.start();
    await waitFor(async () => passes === 1, 'first pass');
    await d.reload();
    await d.reload();
    release();
    await waitFor(async () => passes === 2, 'one queued pass');
    expect(maxActive).toBe(1);
    await d.stop();
    expect(aborted).toBe(true);
    expect(passes).toBe(2);
  });

  it('keeps the running configuration when a reload finds it invalid', async () => {
    let n = 0;
    const seen: Config[] = [];
    const d = new Daemon({
      loadConfig: async () => {
        if (n++ > 0) throw new ConfigError([{ path: 'renew.concurrency', message: 'too small' }]);
        return config;
      },
      logger: silent,
      pass: async (c) => (seen.push(c), []),
    });
    await d.start();
    await waitFor(async () => seen.length === 1, 'first pass');
    expect(await d.reload()).toBe(false);
    await d.stop();
    expect(seen).toEqual([config]);
  });

  it('liveness fails once a pass overruns renew.passTimeout, says so while the pass ignores the abort, and recovers after a pass ends in time', async () => {
    const short = { ...config, renew: { ...config.renew, passTimeout: 50 } } as Config;
    let release!: () => void;
    let passes = 0;
    let reason: unknown;
    const d = new Daemon({
      loadConfig: async () => short,
      logger: silent,
      pass: async (_c, _l, opts: PassOptions = {}) => {
        if (++passes > 1) return [];
        opts.onStep?.('api', 'presented');
        // A call that does not listen to the signal: the pass stays in flight after the deadline.
        opts.signal?.addEventListener('abort', () => (reason = opts.signal?.reason), { once: true });
        await new Promise<void>((r) => (release = r));
        return [];
      },
    });
    await d.start();
    expect(d.liveness().ok).toBe(true);
    await waitFor(async () => !d.liveness().ok, 'the deadline');
    expect(d.liveness().reason).toMatch(/overran renew\.passTimeout \(50ms\); unfinished: api \(presented\); aborting it$/);
    expect(reason).toBeInstanceOf(PassTimeoutError);
    release();
    await waitFor(async () => /aborted, ended at/.test(d.liveness().reason), 'the pass to end');
    expect(d.liveness().ok).toBe(false);
    await d.reload();
    await waitFor(async () => d.liveness().ok, 'a pass that ends in time');
    await d.stop();
  });
});
