import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { ConfigError, oneLine } from '../errors.js';
import { emit, type CertkeeperEvent, type Observer } from './events.js';
import { Metrics } from './metrics.js';
import { Notifier } from './notify/notifier.js';
import { dnsSecrets } from './notify/scrub.js';
import { storeSecrets } from '../config/store-secrets.js';
import { HealthState, type Check } from './health.js';
import { startOpsServer, type OpsServer } from './endpoint.js';
import { PassHistory } from '../dashboard/history.js';
import { dashboardHandler, type PassStarter } from '../dashboard/routes.js';
import type { ExtraSources } from '../dashboard/gather.js';

export interface Operations {
  /** Pass this as `observer` to renewPass; emit `{type:'schedule'}` after planning the next pass. */
  observer: Observer;
  metrics: Metrics;
  health: HealthState;
  /** The last passes, attempts and alerts since start, for the dashboard. */
  history: PassHistory;
  /** The alert channels of the configuration in force (replaced by `reconfigure`). */
  readonly notifier: Notifier;
  /** Present when `server.listen` is set. */
  readonly server?: OpsServer;
  /**
   * SIGHUP: brings the endpoint, the alert channels and the metrics in line with a new configuration.
   * Throws a ConfigError naming the setting, with nothing changed, when it cannot (address in use).
   */
  reconfigure(next: Config): Promise<void>;
  /** Stops the endpoint and waits (bounded) for queued alerts. */
  close(flushMs?: number): Promise<void>;
}

interface Options {
  now?: () => Date;
  liveness?: () => Check;
  serve?: boolean;
  /** The daemon, for the dashboard's actions (absent: the dashboard stays read-only). */
  passes?: () => PassStarter | undefined;
  /** Facts the dashboard shows beside this host's files: cloud targets, fleet hosts. */
  dashboardSources?: ExtraSources;
}

/**
 * Everything around the renewal core that helps people run it: metrics, health, alerts and the
 * HTTP endpoint. The daemon calls this once after loading the configuration and `reconfigure` on
 * every reload; `liveness` tells /healthz whether the scheduler is still ticking.
 */
export async function startOperations(config: Config, logger: Logger, opts: Options = {}): Promise<Operations> {
  const ops = new RunningOperations(config, logger, opts);
  // The last passes and alerts an earlier run saw, kept in dataDir from now on.
  await ops.history.keepIn(config.dataDir, logger.child({ component: 'dashboard' }));
  if (opts.serve !== false && config.server.listen) ops.listening = await ops.listen(config.server.listen);
  return ops;
}

class RunningOperations implements Operations {
  readonly metrics: Metrics;
  readonly health: HealthState;
  readonly history = new PassHistory();
  notifier: Notifier;
  listening?: { listen: string; server: OpsServer };
  /** Replaced notifiers still sending what they had queued; close() waits for them too. */
  private readonly retiring = new Set<Notifier>();
  private readonly now: () => Date;
  private config: Config;

  // The observer is fixed for the daemon's life; it forwards to whichever notifier is current.
  readonly observer: Observer = { emit: (e: CertkeeperEvent) => [this.metrics, this.health, this.history, this.notifier].forEach((o) => emit(o, e)) };

  constructor(
    config: Config,
    private readonly logger: Logger,
    private readonly opts: Options,
  ) {
    this.config = config;
    this.now = opts.now ?? (() => new Date());
    // A fleet sharing one store: every series says which host it comes from.
    this.metrics = new Metrics(this.now, { processMetrics: true, node: config.store.type === 'postgres' ? config.node : undefined });
    this.health = new HealthState(opts.liveness);
    this.health.setConfigLoaded(true);
    this.notifier = this.notifierFor(config);
  }

  get server(): OpsServer | undefined {
    return this.listening?.server;
  }

  async listen(listen: string): Promise<{ listen: string; server: OpsServer }> {
    // The dashboard is always routed; it answers only while server.dashboard is on in the configuration in force.
    const routes = dashboardHandler({ config: () => this.config, history: this.history, logger: this.logger.child({ component: 'dashboard' }), passes: this.opts.passes, extra: this.opts.dashboardSources, now: this.now });
    return { listen, server: await startOpsServer(listen, { health: this.health, metrics: this.metrics, logger: this.logger, routes }) };
  }

  async reconfigure(next: Config): Promise<void> {
    // The endpoint first: it is the only part that can fail, and a failure must leave everything as it was.
    if (this.opts.serve !== false) await this.moveEndpoint(next.server.listen);
    const old = this.notifier;
    this.notifier = this.notifierFor(next, next.dataDir === this.config.dataDir ? old : undefined);
    this.retiring.add(old);
    void old.flush(30_000).then(() => {
      old.close();
      this.retiring.delete(old);
    });
    this.metrics.retain(next.certificates.map((c) => c.name));
    if (next.dataDir !== this.config.dataDir) await this.history.keepIn(next.dataDir, this.logger.child({ component: 'dashboard' }));
    this.config = next;
  }

  async close(flushMs = 10_000): Promise<void> {
    await this.listening?.server.close();
    await this.history.flush();
    const all = [this.notifier, ...this.retiring];
    await Promise.all(all.map((n) => n.flush(flushMs)));
    for (const n of all) n.close();
  }

  private notifierFor(config: Config, previous?: Notifier): Notifier {
    return new Notifier(config.notify, config.dataDir, this.logger.child({ component: 'notify' }), {
      now: this.now,
      secrets: [...dnsSecrets(config.dns), ...storeSecrets(config.store)],
      // One ladder file, one writer: the new channels continue where the old ones stopped.
      expiringState: previous?.expiringState,
    });
  }

  /** Binds the new address before letting go of the old one, so a refused reload loses nothing. */
  private async moveEndpoint(listen: string | undefined): Promise<void> {
    const current = this.listening;
    if (listen === current?.listen) return;
    if (!listen) {
      this.listening = undefined;
      await current?.server.close();
      this.logger.info({ was: current?.listen }, 'health and metrics endpoint closed (server.listen removed)');
      return;
    }
    try {
      this.listening = await this.listen(listen);
    } catch (err) {
      // Same port on another host part (127.0.0.1:9464 -> 0.0.0.0:9464) cannot be bound twice: swap in place.
      if (!current || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || portOf(current.listen) !== portOf(listen)) throw refused(listen, current, err);
      await current.server.close();
      try {
        this.listening = await this.listen(listen);
      } catch (again) {
        this.listening = await this.listen(current.listen).catch(() => undefined);
        throw refused(listen, this.listening, again);
      }
      return;
    }
    await current?.server.close();
  }
}

function refused(listen: string, kept: { listen: string } | undefined, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EADDRNOTAVAIL' ? 'no interface has this address' : code === 'EACCES' ? 'permission denied (a port below 1024 needs privileges)' : oneLine(err);
  return new ConfigError([{ path: 'server.listen', message: `cannot listen on ${listen}: ${why}; ${kept ? `the endpoint stays on ${kept.listen}` : 'no endpoint is running'}` }]);
}

function portOf(listen: string): string {
  return listen.slice(listen.lastIndexOf(':') + 1);
}
