import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CertkeeperEvent, Observer } from './events.js';

const DAY_S = 86_400;

/**
 * Prometheus metrics fed by renewal events. Names follow prometheus.io/docs/practices/naming:
 * `certkeeper_` prefix, base units (`_seconds`), `_total` on counters. Timestamps are exported as
 * Unix seconds so alert rules can compare them with `time()`. Each instance has its own registry.
 */
export class Metrics implements Observer {
  readonly registry = new Registry();
  private readonly notAfter: Gauge<'certificate'>;
  private readonly lastRenewal: Gauge<'certificate'>;
  private readonly renewAt: Gauge<'certificate'>;
  private readonly renewals: Counter<'certificate' | 'result'>;
  private readonly nextCheck: Gauge;
  private readonly dnsCalls: Counter<'provider' | 'operation' | 'result'>;
  private readonly deploys: Counter<'target' | 'result'>;
  private readonly reloads: Counter<'target' | 'result'>;
  private readonly passDuration: Histogram;
  private readonly lastPass: Gauge;
  private readonly storeUp?: Gauge;
  private readonly hostsBehind?: Counter<'certificate' | 'host'>;
  private readonly expiry = new Map<string, number>();
  /** Every certificate a per-certificate gauge was set for. */
  private readonly certificates = new Set<string>();

  /**
   * `node`: this host's name in a fleet sharing one store. Every series then carries a `node` label,
   * so one Prometheus can scrape every host, and the store's reachability is exported too.
   */
  constructor(private readonly now: () => Date = () => new Date(), opts: { processMetrics?: boolean; node?: string } = {}) {
    const registers = [this.registry];
    if (opts.node) {
      this.registry.setDefaultLabels({ node: opts.node });
      this.storeUp = new Gauge({ name: 'certkeeper_store_up', help: 'Whether the shared store (PostgreSQL) answers: 1 or 0', registers });
      this.storeUp.set(1);
      this.hostsBehind = new Counter({ name: 'certkeeper_fleet_behind_alerts_total', help: 'Hosts found serving an older certificate longer than store.behindAlert (counted by the host that alerted)', labelNames: ['certificate', 'host'], registers });
    }
    this.notAfter = new Gauge({ name: 'certkeeper_certificate_not_after_timestamp_seconds', help: 'Expiry (notAfter) of the certificate in use, Unix seconds', labelNames: ['certificate'], registers });
    const expiry = this.expiry;
    new Gauge({
      name: 'certkeeper_certificate_days_left',
      help: 'Whole days until the certificate in use expires (negative once expired), computed at scrape time',
      labelNames: ['certificate'],
      registers,
      collect() {
        this.reset();
        for (const [name, t] of expiry) this.set({ certificate: name }, Math.floor((t - now().getTime() / 1000) / DAY_S));
      },
    });
    this.lastRenewal = new Gauge({ name: 'certkeeper_certificate_last_renewal_timestamp_seconds', help: 'When the certificate in use was issued by a successful renewal, Unix seconds', labelNames: ['certificate'], registers });
    this.renewAt = new Gauge({ name: 'certkeeper_certificate_renewal_due_timestamp_seconds', help: 'When the certificate enters its renewal window, Unix seconds', labelNames: ['certificate'], registers });
    this.renewals = new Counter({ name: 'certkeeper_renewals_total', help: 'Renewal attempts by result (renewed, failed)', labelNames: ['certificate', 'result'], registers });
    this.nextCheck = new Gauge({ name: 'certkeeper_next_check_timestamp_seconds', help: 'When the daemon runs its next renewal pass, Unix seconds', registers });
    this.dnsCalls = new Counter({ name: 'certkeeper_dns_api_calls_total', help: 'DNS provider calls by provider, operation (present, cleanup) and result (ok, error)', labelNames: ['provider', 'operation', 'result'], registers });
    this.deploys = new Counter({ name: 'certkeeper_deploys_total', help: 'Deployments to a server (write files, test, reload) by result', labelNames: ['target', 'result'], registers });
    this.reloads = new Counter({ name: 'certkeeper_reloads_total', help: 'Server reloads by result; a failed deploy of a target with a reload command counts as failed', labelNames: ['target', 'result'], registers });
    this.passDuration = new Histogram({ name: 'certkeeper_pass_duration_seconds', help: 'Duration of a renewal pass', buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800], registers });
    this.lastPass = new Gauge({ name: 'certkeeper_last_pass_timestamp_seconds', help: 'When the last renewal pass finished, Unix seconds', registers });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'certkeeper_' });
  }

  emit(e: CertkeeperEvent): void {
    if ('name' in e) this.certificates.add(e.name);
    switch (e.type) {
      case 'certificate-state':
        if (e.notAfter) this.setExpiry(e.name, e.notAfter);
        if (e.issuedAt && !Number.isNaN(e.issuedAt.getTime())) this.lastRenewal.set({ certificate: e.name }, seconds(e.issuedAt));
        if (e.renewAt) this.renewAt.set({ certificate: e.name }, seconds(e.renewAt));
        break;
      case 'certificate-renewed':
        this.setExpiry(e.name, e.notAfter);
        this.lastRenewal.set({ certificate: e.name }, seconds(e.at));
        this.renewals.inc({ certificate: e.name, result: 'renewed' });
        break;
      case 'certificate-failed':
        this.renewals.inc({ certificate: e.name, result: 'failed' });
        break;
      case 'dns-call':
        this.dnsCalls.inc({ provider: e.provider, operation: e.operation, result: e.result });
        break;
      case 'deploy':
        this.deploys.inc({ target: e.target, result: e.result });
        if (e.reload) this.reloads.inc({ target: e.target, result: e.result });
        break;
      case 'pass-end':
        this.passDuration.observe(e.ms / 1000);
        this.lastPass.set(seconds(e.at));
        break;
      case 'schedule':
        this.nextCheck.set(seconds(e.nextCheck));
        break;
      case 'store-unavailable':
        this.storeUp?.set(0);
        break;
      case 'store-available':
        this.storeUp?.set(1);
        break;
      case 'host-behind':
        this.hostsBehind?.inc({ certificate: e.name, host: e.node });
        break;
    }
  }

  /** Drops the per-certificate gauges of certificates no longer configured (after a reload); counters keep their history. */
  retain(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of this.certificates) {
      if (keep.has(name)) continue;
      for (const g of [this.notAfter, this.lastRenewal, this.renewAt]) g.remove({ certificate: name });
      this.expiry.delete(name);
      this.certificates.delete(name);
    }
  }

  /** The exposition text for /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private setExpiry(name: string, notAfter: Date): void {
    this.expiry.set(name, seconds(notAfter));
    this.notAfter.set({ certificate: name }, seconds(notAfter));
  }
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
