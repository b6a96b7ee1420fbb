import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AbortedError, LockedError, oneLine } from '../../errors.js';
import type { Claim, ClaimAnswer } from '../shared.js';
import { isUnavailable, lockKey, reasonOf, type Database } from './db.js';
import type { Tables } from './migrations.js';

/**
 * After a database restart every session lock is gone, also those of hosts still ordering. A holder
 * has this long to take its certificate back before another host may take it over.
 */
export const RESTART_GRACE_MS = 60_000;

interface Marker {
  node: string;
  token: string;
  server_started: Date;
}

type Taken = { held: pg.Client; tookOverFrom?: string } | { busy: string };

/**
 * Per-certificate claims: a session advisory lock on a connection of its own (never a pooled one,
 * so it can never go back to the pool still holding a lock), and a marker row naming the holder.
 *
 * The lock is what excludes: a crashed host's lock goes with its connection. The marker tells apart
 * the two ways a lock can be free while a marker from another host remains: that host died mid-order
 * on this same server (take over at once), or the server restarted under it (it may still be
 * ordering: leave it RESTART_GRACE_MS to come back and take the lock again).
 */
export class PgClaims {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly schema: string,
    private readonly node: string,
    private readonly logger: Logger,
  ) {}

  async claim(name: string): Promise<ClaimAnswer> {
    const held = new HeldClaim(this, name, randomBytes(8).toString('hex'));
    const first = await this.retrying(() => this.take(name, held.token, (err) => held.lost(err), false));
    if ('busy' in first) return first;
    if ('lostTo' in first) return { busy: first.lostTo };
    held.attach(first.held);
    if (first.tookOverFrom) this.logger.warn({ cert: name, from: first.tookOverFrom }, 'took over a certificate whose holder stopped mid-order');
    return { claim: held, ...(first.tookOverFrom ? { tookOverFrom: first.tookOverFrom } : {}) };
  }

  /** One attempt: the lock on a fresh session, then the marker judged and written. `again`: taking back our own claim. */
  async take(name: string, token: string, onLost: (err: Error) => void, again: boolean): Promise<Taken | { lostTo: string }> {
    const c = await this.db.session(onLost);
    let keep = false;
    try {
      const { rows } = await c.query<{ got: boolean; started: Date; now: Date }>('SELECT pg_try_advisory_lock($1) AS got, pg_postmaster_start_time() AS started, now() AS now', [lockKey(this.schema, 'cert', name)]);
      const { got, started, now } = rows[0]!;
      const marker = (await c.query<Marker>(`SELECT node, token, server_started FROM ${this.t.claims} WHERE name = $1`, [name])).rows[0];
      const ours = marker?.token === token;
      if (again && !ours && (got || marker)) return { lostTo: marker?.node ?? 'another host' };
      if (!got) return { busy: marker?.node ?? 'another host' };
      let tookOverFrom: string | undefined;
      if (marker && !ours) {
        const restarted = marker.server_started.getTime() !== started.getTime();
        if (restarted && now.getTime() - started.getTime() < RESTART_GRACE_MS) return { busy: `${marker.node} (its hold is kept for a while after a database restart)` };
        tookOverFrom = marker.node;
      }
      await c.query(
        `INSERT INTO ${this.t.claims} (name, node, token, server_started) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET node = excluded.node, token = excluded.token, server_started = excluded.server_started, since = CASE WHEN ${this.t.claims}.token = excluded.token THEN ${this.t.claims}.since ELSE now() END`,
        [name, this.node, token, started],
      );
      keep = true;
      return { held: c, ...(tookOverFrom ? { tookOverFrom } : {}) };
    } finally {
      // Ending the session frees a lock taken on it (a busy or refused answer).
      if (!keep) await c.end().catch(() => undefined);
    }
  }

  /** Retries while the server is away for a short while (a restart), like every other store operation. */
  private async retrying<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
    const until = Date.now() + ms;
    let delay = 200;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!isUnavailable(err) || Date.now() + delay > until) throw err;
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  /** Lets go: the marker first, then the lock, then the session. Without a live session only the marker is removed. */
  async let(name: string, token: string, c: pg.Client | undefined): Promise<void> {
    if (c) {
      try {
        await c.query(`DELETE FROM ${this.t.claims} WHERE name = $1 AND token = $2`, [name, token]);
        await c.query('SELECT pg_advisory_unlock($1)', [lockKey(this.schema, 'cert', name)]);
      } finally {
        await c.end().catch(() => undefined);
      }
      return;
    }
    await this.db.query(`DELETE FROM ${this.t.claims} WHERE name = $1 AND token = $2`, [name, token], { retryMs: 5000 });
  }

  get log(): Logger {
    return this.logger;
  }
}

/**
 * One held certificate. When its session dies the hold is taken back in the background (with the
 * same token, so the marker proves it is still ours); if another host has taken the certificate
 * since, the claim's signal aborts and the work under it stops.
 */
class HeldClaim implements Claim {
  private client?: pg.Client;
  private released = false;
  private retaking?: Promise<void>;
  private readonly gone = new AbortController();

  constructor(
    private readonly claims: PgClaims,
    readonly name: string,
    readonly token: string,
  ) {}

  get signal(): AbortSignal {
    return this.gone.signal;
  }

  attach(c: pg.Client): void {
    this.client = c;
  }

  lost(err: Error): void {
    if (this.released || this.gone.signal.aborted) return;
    this.client = undefined;
    this.claims.log.warn({ cert: this.name, err: reasonOf(err) }, 'lost the database session holding the certificate; taking it back');
    this.retaking ??= this.retake().finally(() => (this.retaking = undefined));
  }

  async ensure(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.gone.signal.aborted) throw this.gone.signal.reason;
      if (this.client) return;
      if (signal.aborted) throw new AbortedError('stopping: the certificate could not be held again');
      await (this.retaking ?? Promise.resolve());
      if (!this.client && !this.gone.signal.aborted) await sleep(500, signal);
    }
  }

  async release(): Promise<void> {
    this.released = true;
    const c = this.client;
    this.client = undefined;
    await this.claims.let(this.name, this.token, c).catch((err: unknown) => this.claims.log.warn({ cert: this.name, err: oneLine(err) }, 'could not let go of the certificate cleanly; its hold ends with the session'));
  }

  private async retake(): Promise<void> {
    let delay = 500;
    while (!this.released && !this.gone.signal.aborted) {
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
      if (this.released) return;
      try {
        const r = await this.claims.take(this.name, this.token, (err) => this.lost(err), true);
        if ('held' in r) {
          if (this.released) return void (await this.claims.let(this.name, this.token, r.held).catch(() => undefined));
          this.client = r.held;
          this.claims.log.info({ cert: this.name }, 'holding the certificate again');
          return;
        }
        if ('lostTo' in r) {
          this.claims.log.error({ cert: this.name, holder: r.lostTo }, 'another host took the certificate over while this one was cut off from the database; stopping its order here');
          this.gone.abort(new LockedError(`${this.name}: ${r.lostTo} took the certificate over while this host was cut off from the database; this host stopped its order so that only one host orders it`));
          return;
        }
      } catch (err) {
        if (!isUnavailable(err)) this.claims.log.warn({ cert: this.name, err: oneLine(err) }, 'could not take the certificate back yet');
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
