import type { CertkeeperEvent, Observer } from './events.js';

export interface Check {
  ok: boolean;
  reason: string;
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
  }

  alive(): Check {
    try {
      return this.liveness();
    } catch (err) {
      return { ok: false, reason: `liveness check failed: ${(err as Error).message}` };
    }
  }

  ready(): Check {
    if (!this.configLoaded) return { ok: false, reason: 'configuration not loaded' };
    if (!this.lastPassEnd) return { ok: false, reason: this.passRunning ? 'first renewal pass still running' : 'no renewal pass has finished yet' };
    return { ok: true, reason: `last pass finished at ${this.lastPassEnd.toISOString()}` };
  }
}
