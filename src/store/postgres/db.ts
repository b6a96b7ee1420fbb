import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreError, StoreUnavailableError } from '../../errors.js';

/** Network errors that say the server is away, not that the request was wrong. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/**
 * SQLSTATEs of a server that is away for now (PostgreSQL appendix A): class 08 connection exception,
 * 57P01 admin_shutdown (session terminated), 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up or shutting down), 53300 too_many_connections.
 */
const AWAY = new Set(['57P01', '57P02', '57P03', '53300']);

/** True when retrying later can succeed: the server or the network is away, the request itself was fine. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (err instanceof StoreUnavailableError) return true;
  if (e?.code && (NETWORK.has(e.code) || AWAY.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Connection timeout|connection error|not queryable|Query read timeout/i.test(e?.message ?? '');
}

/** One line saying why the database cannot be used, without the URL or password. */
export function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ECONNREFUSED') return 'connection refused';
  if (e?.code === '57P01') return 'the server ended the session (terminated by an administrator, or shutting down)';
  if (e?.code === '57P03') return 'the server is starting up or shutting down';
  if (e?.code === '28P01' || e?.code === '28000') return `login refused: ${e.message}; check the user and password in store.url`;
  const first = (e?.message ?? String(err)).split('\n')[0]!.trim();
  return e?.code && NETWORK.has(e.code) && !first.includes(e.code) ? `${first} (${e.code})` : first;
}

/** postgres://user@host:port/db: the URL without its password or parameters, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** A 64-bit advisory lock key for `kind`/`name` in this schema (two installations in one database never collide). */
export function lockKey(schema: string, kind: string, name: string): string {
  return createHash('sha256').update(`certkeeper\0${schema}\0${kind}\0${name}`).digest().readBigInt64BE(0).toString();
}

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  logger: Logger;
  /** Shown in pg_stat_activity: which host holds which connection. */
  applicationName: string;
  /** How long an operation keeps retrying while the server is away (a restart), before it reports it unreachable. */
  retryMs?: number;
}

export interface QueryOptions {
  retryMs?: number;
  signal?: AbortSignal;
}

/**
 * The connection pool and what every query goes through: retries while the server is away for a
 * short while (a restart), one-line errors, and a record of whether the database can be reached
 * right now, which health and alerts follow. A session terminated under a client emits `error` on
 * it (node-postgres): every client handed out here has a listener, or the process would die.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly where: string;
  private down?: { since: Date; reason: string };
  private readonly watchers = new Set<(down: { since: Date; reason: string } | undefined) => void>();

  constructor(readonly opts: DatabaseOptions) {
    this.where = describeUrl(opts.url);
    this.pool = new pg.Pool({ ...this.clientConfig(), max: opts.poolSize, idleTimeoutMillis: 30_000 });
    this.pool.on('error', (err) => opts.logger.warn({ store: this.where, err: reasonOf(err) }, 'an idle database connection failed; it will be replaced'));
  }

  /** Settings for a connection of its own (LISTEN, a claim): the same server, user and TLS. */
  clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.opts.url,
      application_name: this.opts.applicationName,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      statement_timeout: 30_000,
      query_timeout: 40_000,
    };
  }

  /** Undefined while the database answers; else since when and why it does not. */
  get unavailable(): { since: Date; reason: string } | undefined {
    return this.down;
  }

  /** Called with each change between reachable (undefined) and unreachable (since, reason). */
  watch(fn: (down: { since: Date; reason: string } | undefined) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  markUp(): void {
    if (!this.down) return;
    this.down = undefined;
    for (const w of this.watchers) w(undefined);
  }

  markDown(reason: string): void {
    if (this.down) {
      this.down.reason = reason;
      return;
    }
    this.down = { since: new Date(), reason };
    for (const w of this.watchers) w(this.down);
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], opts: QueryOptions = {}): Promise<pg.QueryResult<R>> {
    return this.retrying(() => this.pool.query<R>(text, values), opts);
  }

  /** Runs `fn` in one transaction on one connection; the whole transaction is retried while the server is away. */
  tx<T>(fn: (c: pg.PoolClient) => Promise<T>, opts: QueryOptions = {}): Promise<T> {
    return this.retrying(async () => {
      const c = await this.pool.connect();
      const ignore = () => undefined; // the failed query reports it; the listener keeps the process alive
      c.on('error', ignore);
      let failed: unknown;
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        failed = err;
        if (!isUnavailable(err)) await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.off('error', ignore);
        // A broken connection is dropped from the pool, never handed out again.
        c.release(failed !== undefined && isUnavailable(failed) ? (failed as Error) : undefined);
      }
    }, opts);
  }

  /** A connection of its own (not from the pool), with `onLost` called once if the session dies. */
  async session(onLost: (err: Error) => void): Promise<pg.Client> {
    const c = new pg.Client(this.clientConfig());
    let lost = false;
    const lose = (err: Error) => {
      if (lost) return;
      lost = true;
      onLost(err);
    };
    c.on('error', lose);
    c.on('end', () => lose(new Error('Connection terminated')));
    // Ending it on purpose is not losing it.
    const end = c.end.bind(c);
    (c as { end: () => Promise<void> }).end = () => {
      lost = true;
      return end();
    };
    try {
      await c.connect();
      // The server notices a dead holder within about a minute instead of the OS default (hours), so
      // a session lock held by a host cut off from the network is freed for the others.
      await c.query('SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3');
    } catch (err) {
      lost = true;
      await c.end().catch(() => undefined);
      throw this.failure(err);
    }
    return c;
  }

  /** The error to throw for `err`: unreachable (retried by callers), or a one-line StoreError. */
  failure(err: unknown): Error {
    if (err instanceof StoreError || err instanceof StoreUnavailableError) return err;
    if (isUnavailable(err)) return new StoreUnavailableError(`the store database ${this.where} is unreachable: ${reasonOf(err)}`, { cause: err });
    return new StoreError(`the store database ${this.where}: ${reasonOf(err)}`, { cause: err });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async retrying<T>(fn: () => Promise<T>, opts: QueryOptions): Promise<T> {
    const until = Date.now() + (opts.retryMs ?? this.opts.retryMs ?? 15_000);
    let delay = 200;
    for (;;) {
      try {
        const out = await fn();
        this.markUp();
        return out;
      } catch (err) {
        const away = isUnavailable(err);
        // A refused login or a missing database makes the store as unusable as an outage.
        if (!away && !isRefused(err)) throw this.failure(err);
        if (!away || Date.now() + delay > until || opts.signal?.aborted) {
          this.markDown(reasonOf(err));
          throw this.failure(err);
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }
}

/** The server answered but will not let this client in (login, database, privilege): a person must act. */
function isRefused(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code.startsWith('28') || code === '3D000' || code === '42501';
}
