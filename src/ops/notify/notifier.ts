import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CertkeeperEvent, Observer } from '../events.js';
import { RATE_LIMITS, sendTo } from './channels.js';
import { smtpTls } from './email.js';
import type { ChannelConfig, NotifyConfig, NotifyOn } from './config.js';
import { ExpiringState } from './expiring.js';
import { render, type Notice } from './messages.js';
import { ChannelQueue, realSleep, type QueueDeps } from './queue.js';
import { secretsOf, scrub } from './scrub.js';

export interface NotifierOptions {
  now?: () => Date;
  sleep?: QueueDeps['sleep'];
  retryMs?: number;
  /** Values to cut out of every message (DNS credentials and the like) besides the channels' own. */
  secrets?: string[];
  /** The ladder state of a notifier this one replaces (a reload), so one file has one writer. */
  expiringState?: ExpiringState;
}

interface Channel {
  label: string;
  config: ChannelConfig;
  queue: ChannelQueue;
}

/**
 * Turns renewal events into alerts: failure, success and expiring (the 14/7/3/1-day ladder for the
 * certificate in use, checked after every pass), each to the channels that asked for it, through a rate-limited
 * queue per channel. Sending happens in the background; `flush` waits for it (used by `renew --now`).
 */
export class Notifier implements Observer {
  private readonly channels: Channel[];
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly now: () => Date;
  readonly expiringState: ExpiringState;
  private readonly secrets: string[];

  constructor(
    private readonly config: NotifyConfig,
    dataDir: string,
    private readonly logger: Logger,
    opts: NotifierOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.expiringState = opts.expiringState ?? new ExpiringState(join(dataDir, 'notify-state.json'));
    this.secrets = [...secretsOf(config.channels), ...(opts.secrets ?? [])];
    const deps: QueueDeps = { now: () => this.now().getTime(), sleep: opts.sleep ?? realSleep };
    this.channels = config.channels.map((c, i) => {
      const label = c.name ?? `${c.type}#${i + 1}`;
      const lang = c.language ?? config.language;
      const warning = c.type === 'email' ? smtpTls(c).warning : undefined;
      if (warning) this.logger.warn({ channel: label }, warning);
      const queue = new ChannelQueue(
        async (notices, signal) => {
          await sendTo(c, render(notices, lang), { now: this.now, signal });
          this.logger.info({ channel: label, events: notices.map((n) => n.kind) }, 'alert sent');
        },
        { ...RATE_LIMITS[c.type], retryMs: opts.retryMs ?? 30_000, maxAttempts: 3 },
        deps,
        (err, notices) => this.logger.warn({ channel: label, events: notices.map((n) => n.kind), err: this.clean((err as Error).message) }, 'alert could not be sent'),
      );
      return { label, config: c, queue };
    });
  }

  get size(): number {
    return this.channels.length;
  }

  emit(e: CertkeeperEvent): void {
    if (this.channels.length === 0) return;
    if (e.type === 'certificate-failed') {
      // An unreachable shared store is one alert for the outage (store-unavailable), not one per certificate.
      if (e.code === 'STORE_UNAVAILABLE') return;
      this.push('failure', { kind: 'failure', name: e.name, domains: e.domains, stage: e.stage, error: this.clean(e.error), code: e.code, notAfter: e.notAfter, at: e.at });
    } else if (e.type === 'store-unavailable' || e.type === 'store-available') {
      // Sent where failures go; one alert per outage and host, not one per certificate.
      const down = e.type === 'store-unavailable';
      this.push('failure', { kind: 'store', host: e.node, where: e.where, down, since: down ? e.since : e.downSince, ...(down ? { reason: this.clean(e.reason) } : {}), at: e.at });
    } else if (e.type === 'host-behind') {
      this.push('failure', { kind: 'behind', name: e.name, domains: e.domains, node: e.node, serial: e.serial, deployedSerial: e.deployedSerial, since: e.since, error: e.error && this.clean(e.error), at: e.at });
    } else if (e.type === 'ca-fallback') {
      // Sent where failures go: a CA failed, even though the certificate did not.
      this.push('failure', { kind: 'fallback', name: e.name, domains: e.domains, from: e.from, to: e.to, error: this.clean(e.error), at: e.at });
    } else if (e.type === 'certificate-renewed') {
      this.push('success', { kind: 'success', name: e.name, domains: e.domains, notAfter: e.notAfter, deployed: e.deployed, at: e.at });
    } else if (e.type === 'certificate-in-use') {
      // The ladder walks from what is in use, whatever the renewal did (scheduler/expiry-check.ts).
      this.track(
        this.expiringState.check(e.name, e.notAfter, e.at).then((threshold) => {
          if (threshold !== undefined) this.push('expiring', { kind: 'expiring', name: e.name, domains: e.domains, notAfter: e.notAfter, threshold, where: e.where, reason: this.clean(e.reason), at: e.at });
        }),
      );
    }
  }

  /** Waits until every queued alert is sent or given up, at most `timeoutMs`; true if all done. */
  async flush(timeoutMs = 60_000): Promise<boolean> {
    const all = (async () => {
      while (this.tasks.size) await Promise.all([...this.tasks]);
      await Promise.all(this.channels.map((c) => c.queue.idle()));
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([all.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const c of this.channels) c.queue.close();
  }

  /** Sends a test message to every channel now (no queue); one result per channel. */
  async test(): Promise<{ channel: string; ok: boolean; error?: string }[]> {
    return Promise.all(
      this.channels.map(async (c) => {
        const notice: Notice = { kind: 'test', channel: c.label, host: hostname(), at: this.now() };
        try {
          await sendTo(c.config, render([notice], c.config.language ?? this.config.language), { now: this.now, signal: AbortSignal.timeout(30_000) });
          return { channel: c.label, ok: true };
        } catch (err) {
          return { channel: c.label, ok: false, error: this.clean((err as Error).message) };
        }
      }),
    );
  }

  private push(on: NotifyOn, notice: Notice): void {
    for (const c of this.channels) if (c.config.on.includes(on)) c.queue.push(notice);
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((err: Error) => this.logger.warn({ err: err.message }, 'alert state could not be updated'));
    this.tasks.add(t);
    void t.finally(() => this.tasks.delete(t));
  }

  private clean(text: string): string {
    return scrub(text, this.secrets);
  }
}
