import type { CertkeeperEvent, Observer } from './events.js';

export interface Check {
  ok: boolean;
  reason: string;
  /** Working, but with a part unavailable (a shared store that cannot be reached): answered 200 with the reason. */
  degraded?: boolean;
}

/**
 * What /healthz and /readyz answer. Alive: the process serves requests and the scheduler says it
 * is alive (the daemon passes a callback, e.g. "the timer fired recently"). Ready: the configuration
 * is loaded and at least one renewal pass has finished.
 */
export class HealthState implements Observer {
  private configLoaded = false;
  private lastPassEnd?: Date;
  private passRunning = false;
  /** Why the daemon runs degraded, when it does (the shared store is unreachable). */
  private degraded?: string;

  constructor(private readonly liveness: () => Check = () => ({ ok: true, reason: 'running' })) {}

  setConfigLoaded(loaded = true): void {
    this.configLoaded = loaded;
  }

  emit(e: CertkeeperEvent): void {
    if (e.type === 'pass-start') this.passRunning = true;
    if (e.type === 'pass-end') {
      this.passRunning = false;
      this.lastPassEnd = e.at;
    }
    if (e.type === 'store-unavailable') {
      this.degraded = `the store ${e.where} is unreachable since ${e.since.toISOString()} (${e.reason}); retrying with backoff; deployed certificates are left as they are`;
    }
    if (e.type === 'store-available') this.degraded = undefined;
  }

  /**
   * Alive, and degraded with the reason while the shared store is unreachable: still 200, since
   * restarting the daemon cannot bring a database back (and it keeps serving what is deployed).
   */
  alive(): Check {
    let check: Check;
    try {
      check = this.liveness();
    } catch (err) {
      return { ok: false, reason: `liveness check failed: ${(err as Error).message}` };
    }
    return check.ok && this.degraded ? { ok: true, degraded: true, reason: this.degraded } : check;
  }

  /** Ready to renew: configuration loaded, a pass finished, and the store reachable. */
  ready(): Check {
    if (!this.configLoaded) return { ok: false, reason: 'configuration not loaded' };
    if (this.degraded) return { ok: false, degraded: true, reason: this.degraded };
    if (!this.lastPassEnd) return { ok: false, reason: this.passRunning ? 'first renewal pass still running' : 'no renewal pass has finished yet' };
    return { ok: true, reason: `last pass finished at ${this.lastPassEnd.toISOString()}` };
  }
}
