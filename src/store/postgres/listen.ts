import type pg from 'pg';
import type { Logger } from 'pino';
import { ConfigError, oneLine } from '../../errors.js';
import type { Follower, FollowHandlers, StoredNotice } from '../shared.js';
import { lockKey, reasonOf, type Database } from './db.js';

export interface ListenOptions {
  db: Database;
  schema: string;
  node: string;
  /** The NOTIFY channel stored versions are announced on. */
  channel: string;
  logger: Logger;
  /** How often the connection is checked with a round trip (a half-open TCP connection hears nothing). */
  checkMs?: number;
  /** Reconnecting this long without success makes the store count as unreachable (a restart takes less). */
  outageMs?: number;
}

/**
 * The LISTEN connection of `certkeeper run`: a connection of its own that hears every stored
 * version, reconnecting with backoff when it drops. NOTIFY is not stored by PostgreSQL, so every
 * (re)connect is reported and the caller catches up by reading the store. The connection also holds
 * an advisory lock on this host's node name: a second running host with the same name is refused.
 */
export function listenForStored(opts: ListenOptions, handlers: FollowHandlers): Follower {
  const { db, logger } = opts;
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  let delay = 1000;
  let first = true;
  let failingSince: number | undefined;
  let settle!: { resolve: () => void; reject: (e: Error) => void };
  const started = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));

  const connect = async (): Promise<void> => {
    if (stopped) return;
    let c: pg.Client | undefined;
    try {
      c = await db.session((err) => dropped(c!, err));
      c.on('notification', (n) => {
        const notice = parse(n.payload);
        if (notice) handlers.stored(notice);
      });
      const { rows } = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [lockKey(opts.schema, 'node', opts.node)]);
      if (!rows[0]!.got) {
        const message = `node: another certkeeper run uses the name "${opts.node}" with this store right now; give each host its own node: name`;
        if (first) {
          await c.end().catch(() => undefined);
          stopped = true;
          return settle.reject(new ConfigError([{ path: 'node', message: message.slice('node: '.length) }]));
        }
        logger.error({ node: opts.node }, message);
      }
      await c.query(`LISTEN "${opts.channel}"`);
      if (stopped) return void (await c.end().catch(() => undefined));
      client = c;
      delay = 1000;
      failingSince = undefined;
      db.markUp();
      logger.info({ store: db.where, first }, first ? 'listening for certificates stored by any host' : 'listening again for stored certificates; catching up on what was missed');
      first = false;
      settle.resolve();
      handlers.connected();
      check = setInterval(() => void c!.query('SELECT 1').catch((err: Error) => dropped(c!, err)), opts.checkMs ?? 30_000);
      check.unref();
    } catch (err) {
      await c?.end().catch(() => undefined);
      if (err instanceof ConfigError) {
        stopped = true;
        return settle.reject(err);
      }
      failingSince ??= Date.now();
      if (first || Date.now() - failingSince >= (opts.outageMs ?? 15_000)) db.markDown(reasonOf((err as { cause?: unknown }).cause ?? err));
      logger.warn({ store: db.where, err: oneLine(err), retryInMs: delay }, 'cannot listen for stored certificates; retrying');
      // The first attempt failing is an outage, not a reason to refuse to start: go on degraded.
      if (first) settle.resolve();
      schedule();
    }
  };

  const dropped = (c: pg.Client, err: Error) => {
    if (client !== c) return;
    client = undefined;
    clearInterval(check);
    void c.end().catch(() => undefined);
    if (stopped) return;
    logger.warn({ store: db.where, err: reasonOf(err) }, 'the listening connection dropped; reconnecting');
    schedule();
  };

  const schedule = () => {
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, 30_000);
  };

  void connect();
  return {
    started,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(check);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

function parse(payload: string | undefined): StoredNotice | undefined {
  try {
    const v = JSON.parse(payload ?? '') as Partial<StoredNotice>;
    return typeof v.name === 'string' && typeof v.serial === 'string' && typeof v.node === 'string' ? { name: v.name, serial: v.serial, node: v.node } : undefined;
  } catch {
    return undefined;
  }
}
