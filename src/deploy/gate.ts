import type { Logger } from 'pino';
import { acquireLock } from '../store/lock.js';

/**
 * With a store several hosts share there is no pass-wide lock (each certificate is held on its own),
 * but what a host deploys is still its own business: one deploy at a time in this process (the pass
 * and deploys of versions other hosts stored), and under dataDir's lock against any other process on
 * this host (a `certkeeper deploy` or `renew --now` beside the daemon).
 */
export class DeployGate {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
    private readonly waitMs = 600_000,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      const lock = await acquireLock(this.dataDir, { waitMs: this.waitMs, logger: this.logger });
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
