import type { Logger } from 'pino';
import type { Config } from './config/load.js';
import { fanOut, type Observer } from './events.js';
import { Metrics } from './metrics/metrics.js';
import { Notifier } from './notify/notifier.js';
import { dnsSecrets } from './notify/scrub.js';
import { HealthState, type Check } from './server/health.js';
import { startOpsServer, type OpsServer } from './server/http.js';

export interface Operations {
  /** Pass this as `observer` to renewPass; emit `{type:'schedule'}` after planning the next pass. */
  observer: Observer;
  metrics: Metrics;
  health: HealthState;
  notifier: Notifier;
  /** Present when `server.listen` is set. */
  server?: OpsServer;
  /** Stops the endpoint and waits (bounded) for queued alerts. */
  close(flushMs?: number): Promise<void>;
}

/**
 * Everything around the renewal core that helps people run it: metrics, health, alerts and the
 * HTTP endpoint. The daemon calls this once after loading the configuration; `liveness` tells
 * /healthz whether the scheduler is still ticking.
 */
export async function startOperations(
  config: Config,
  logger: Logger,
  opts: { now?: () => Date; liveness?: () => Check; serve?: boolean } = {},
): Promise<Operations> {
  const now = opts.now ?? (() => new Date());
  const metrics = new Metrics(now, { processMetrics: true });
  const health = new HealthState(opts.liveness);
  health.setConfigLoaded(true);
  const notifier = new Notifier(config.notify, config.dataDir, logger.child({ component: 'notify' }), { now, secrets: dnsSecrets(config.dns) });
  const server = opts.serve !== false && config.server.listen ? await startOpsServer(config.server.listen, { health, metrics, logger }) : undefined;
  return {
    observer: fanOut(metrics, health, notifier),
    metrics,
    health,
    notifier,
    server,
    async close(flushMs = 10_000) {
      await server?.close();
      await notifier.flush(flushMs);
      notifier.close();
    },
  };
}
