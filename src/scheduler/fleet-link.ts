import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { oneLine } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import { isUnavailable } from '../store/postgres/db.js';
import { openStore, sameStore } from '../store/open.js';
import type { Follower, SharedStore } from '../store/shared.js';
import type { Store } from '../store/store.js';
import type { FollowRunner } from './follow-process.js';

export interface FleetLinkOptions {
  logger: Logger;
  now: () => Date;
  observer?: Observer;
  /** Asks the daemon for a pass: the store is reachable again, catch up. */
  requestPass: () => void;
  /** Something a person must fix turned up after the start (a wrong key met once the database came back): the daemon stops. */
  onFatal: (err: Error) => void;
  /** Deploys what other hosts stored (these certificates, or all): followInChild, in a process of its own. */
  deploy: FollowRunner;
}

/** Notices arriving this close together are deployed together: one test and one reload. */
const FOLLOW_DELAY_MS = 200;

/**
 * `certkeeper run` with a store several hosts share (store type postgres): the store kept open for
 * every pass, the LISTEN connection that deploys what other hosts store within moments, the
 * catch-up after every reconnect (of what this host does not serve yet), health and alerts while the database is away (retried with
 * backoff; deployed files are never touched meanwhile), and the alert for hosts that stay behind.
 */
export class FleetLink {
  private config: Config;
  private follower?: Follower;
  private connected = false;
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private unwatch?: () => void;
  private closed = false;
  private queued = new Set<string>();
  private queuedAll = false;
  private followTimer?: NodeJS.Timeout;
  private following: Promise<void> = Promise.resolve();
  private downSince?: Date;

  private constructor(
    config: Config,
    readonly store: Store & { shared: SharedStore; connect(): Promise<void> },
    private readonly opts: FleetLinkOptions,
  ) {
    this.config = config;
  }

  /**
   * The link for a configuration with a shared store, undefined for files. Throws (one line) what a
   * person must fix: a wrong encryption key, a schema from a newer certkeeper, a refused login,
   * another running host with this node name. An unreachable database is not one: it starts degraded.
   */
  static async start(config: Config, opts: FleetLinkOptions): Promise<FleetLink | undefined> {
    if (config.store.type === 'file') return undefined;
    const store = (await openStore(config, opts.logger, { connect: false })) as FleetLink['store'];
    const link = new FleetLink(config, store, opts);
    try {
      await link.begin();
    } catch (err) {
      await link.close();
      throw err;
    }
    return link;
  }

  private async begin(): Promise<void> {
    const { shared } = this.store;
    this.unwatch = shared.watch((down) => this.availability(down));
    try {
      await this.store.connect();
      this.connected = true;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      if (!shared.unavailable) this.availability({ since: new Date(), reason: oneLine(err) });
    }
    this.follower = shared.follow({
      stored: (n) => {
        if (n.node === shared.node) return; // this host's own pass deploys what it stored
        this.opts.logger.info({ cert: n.name, serial: n.serial, from: n.node }, 'another host stored a new certificate');
        this.follow(new Set([n.name]));
      },
      connected: () => this.follow(),
    });
    await this.follower.started;
    if (this.connected) await shared.seen().catch(() => undefined);
    const every = Math.min(60_000, Math.max(1000, Math.floor(this.behindAlertMs() / 4)));
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  /** Why a pass cannot run now, or undefined. */
  blocked(): string | undefined {
    const down = this.store.shared.unavailable;
    if (down) return `the store ${this.store.where} is unreachable since ${down.since.toISOString()}: ${down.reason}`;
    return this.connected ? undefined : `the store ${this.store.where} has not been reached yet`;
  }

  /** The store for a pass in this process (tests); a pass in a child opens its own, as it does its deploy gate. */
  passOptions(): { store: Store } {
    return { store: this.store };
  }

  /** After each pass: this host is seen, and hosts that stay behind are alerted (by whichever host sees it first). */
  async afterPass(): Promise<void> {
    await this.tick();
  }

  /** SIGHUP: the same store keeps running with the new settings; another store is opened first, then swapped in. */
  async reconfigure(next: Config): Promise<FleetLink | undefined> {
    if (next.store.type !== 'file' && sameStore(this.config, next)) {
      this.config = next;
      return this;
    }
    const replacement = await FleetLink.start(next, this.opts);
    await this.close();
    return replacement;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    clearTimeout(this.followTimer);
    this.unwatch?.();
    await this.follower?.stop();
    await this.following.catch(() => undefined);
    await this.store.close();
  }

  private behindAlertMs(): number {
    return this.config.store.type === 'postgres' ? this.config.store.behindAlert : 30 * 60_000;
  }

  private async tick(): Promise<void> {
    if (this.blocked()) return;
    const { shared } = this.store;
    try {
      await shared.seen();
      for (const b of await shared.takeBehind(this.behindAlertMs())) {
        const domains = this.config.certificates.find((c) => c.name === b.name)?.domains ?? [];
        this.opts.logger.warn({ cert: b.name, node: b.node, serial: b.serial, serves: b.deployedSerial, since: b.since.toISOString(), err: b.error ?? undefined }, 'a host still serves an older certificate');
        emit(this.opts.observer, { type: 'host-behind', at: this.opts.now(), name: b.name, domains, node: b.node, serial: b.serial, deployedSerial: b.deployedSerial, since: b.since, error: b.error });
      }
    } catch (err) {
      this.opts.logger.warn({ err: oneLine(err) }, 'cannot check the fleet');
    }
  }

  /** Queues a deploy of what the store holds: these certificates, or all of them. */
  private follow(names?: Set<string>): void {
    if (this.closed) return;
    if (!names) this.queuedAll = true;
    else for (const n of names) this.queued.add(n);
    if (this.followTimer) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = undefined;
      const all = this.queuedAll;
      const batch = new Set(this.queued);
      this.queuedAll = false;
      this.queued.clear();
      this.following = this.following.then(() => this.deploy(all ? undefined : batch));
    }, FOLLOW_DELAY_MS);
  }

  private async deploy(names: Set<string> | undefined): Promise<void> {
    if (this.closed || this.blocked()) return;
    const batch = names ?? (await this.missingHere());
    if (batch?.size === 0) return;
    await this.opts.deploy(this.config, batch, this.opts.observer).catch((err: unknown) =>
      this.opts.logger.warn({ err: oneLine(err) }, 'could not deploy what other hosts stored; the next pass catches up'),
    );
  }

  /**
   * After a (re)connect: only the certificates whose stored version this host has no record of
   * serving, so a start or a reconnect with nothing new forks no deploy process. If the store
   * cannot say, all of them (undefined), as before.
   */
  private async missingHere(): Promise<Set<string> | undefined> {
    const deployed = this.config.certificates.filter((c) => c.targets.length).map((c) => c.name);
    try {
      const missing = await this.store.shared.notServedHere(deployed);
      this.opts.logger.info({ certs: missing.length }, 'certificates other hosts stored that this host does not serve yet');
      return new Set(missing);
    } catch (err) {
      this.opts.logger.debug({ err: oneLine(err) }, 'cannot tell what this host is missing; deploying every certificate');
      return undefined;
    }
  }

  /** Reachable again or not: health, one alert per outage, retries with backoff, and a catch-up pass once back. */
  private availability(down: { since: Date; reason: string } | undefined): void {
    if (this.closed) return;
    const where = this.store.where;
    const node = this.store.shared.node;
    if (down) {
      this.downSince = down.since;
      this.opts.logger.error({ store: where, since: down.since.toISOString(), err: down.reason }, 'the store is unreachable; deployed certificates stay as they are; retrying with backoff');
      emit(this.opts.observer, { type: 'store-unavailable', at: this.opts.now(), node, where, since: down.since, reason: down.reason });
      this.probe(1000);
      return;
    }
    clearTimeout(this.retry);
    void this.recovered();
  }

  private async recovered(): Promise<void> {
    try {
      await this.store.connect();
    } catch (err) {
      if (isUnavailable(err)) return this.probe(1000);
      return this.opts.onFatal(err as Error);
    }
    this.connected = true;
    const downSince = this.downSince ?? new Date();
    this.downSince = undefined;
    this.opts.logger.info({ store: this.store.where, downSince: downSince.toISOString() }, 'the store is reachable again; catching up');
    emit(this.opts.observer, { type: 'store-available', at: this.opts.now(), node: this.store.shared.node, where: this.store.where, downSince });
    this.opts.requestPass();
  }

  /** One round trip after `delay`, doubling up to a minute while the database stays away. */
  private probe(delay: number): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.store.shared.ping().catch(() => this.probe(Math.min(delay * 2, 60_000)));
    }, delay);
    this.retry.unref();
  }
}
