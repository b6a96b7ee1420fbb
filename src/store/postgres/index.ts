import type { Logger } from 'pino';
import type { StoreConfig } from '../../config/store-schema.js';
import { ConfigError } from '../../errors.js';
import type { PendingTxtLog } from '../pending-txt.js';
import type { SharedStore } from '../shared.js';
import type { Store } from '../store.js';
import { PgAccounts } from './accounts.js';
import { PgCertificates } from './certs.js';
import { PgClaims } from './claims.js';
import { Database } from './db.js';
import { PgFleet } from './fleet.js';
import { listenForStored } from './listen.js';
import { migrate, SCHEMA_VERSION, tables, type Tables } from './migrations.js';
import { PgPendingTxt } from './pending.js';
import { keyId, keyMatches, makeKeyCheck, type KeyCheck } from './sealed.js';
import { PgState } from './state.js';

type PostgresConfig = Extract<StoreConfig, { type: 'postgres' }>;

/**
 * The store in PostgreSQL, shared by every host of a fleet. `connect()` migrates the schema and
 * checks the encryption key before anything else is read or written; a store that cannot be
 * reached stays usable as an object (health reports it) and `connect()` can be called again.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly db: Database;
  readonly t: Tables;
  readonly certs: PgCertificates;
  readonly accounts: PgAccounts;
  readonly shared: SharedStore;
  private readonly claims: PgClaims;
  private readonly fleetRepo: PgFleet;
  private connected?: Promise<void>;

  constructor(
    readonly config: PostgresConfig,
    readonly node: string,
    private readonly logger: Logger,
  ) {
    this.db = new Database({ url: config.url, poolSize: config.poolSize, logger, applicationName: `certkeeper ${node}` });
    this.t = tables(config.schema);
    const channel = `${config.schema}.stored`;
    this.certs = new PgCertificates(this.db, this.t, config.encryptionKey, { node, channel });
    this.accounts = new PgAccounts(this.db, this.t, config.encryptionKey, config.schema);
    this.claims = new PgClaims(this.db, this.t, config.schema, node, logger);
    this.fleetRepo = new PgFleet(this.db, this.t, node);
    const db = this.db;
    const claims = this.claims;
    const fleet = this.fleetRepo;
    this.shared = {
      node,
      claim: (name) => claims.claim(name),
      recordDeploys: (records, deploys) => fleet.recordDeploys(records, deploys),
      fleet: () => fleet.fleet(),
      notServedHere: (names) => fleet.notServedHere(names),
      takeBehind: (afterMs) => fleet.takeBehind(afterMs),
      seen: () => fleet.seen(`schema ${SCHEMA_VERSION}`),
      follow: (handlers) => listenForStored({ db, schema: config.schema, node, channel, logger }, handlers),
      get unavailable() {
        return db.unavailable;
      },
      watch: (fn) => db.watch(fn),
      ping: async () => void (await db.query('SELECT 1', [], { retryMs: 0 })),
    };
  }

  get where(): string {
    return this.db.where;
  }

  /**
   * Migrates the schema and checks the key, once; after a failure the next call tries again. A key
   * other than the one the store was set up with is refused with one line: every host must use the same.
   */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      await migrate(this.db, this.config.schema, this.logger);
      await this.checkKey();
    })().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  async openState(): Promise<PgState> {
    await this.connect();
    return PgState.open(this.db, this.t);
  }

  async openPendingTxt(): Promise<PendingTxtLog> {
    await this.connect();
    return new PgPendingTxt(this.db, this.t);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async checkKey(): Promise<void> {
    const key = this.config.encryptionKey;
    // The first host to connect sets the key up; everyone after must bring the same one.
    await this.db.query(`INSERT INTO ${this.t.settings} (key, value) VALUES ('encryption', $1) ON CONFLICT (key) DO NOTHING`, [JSON.stringify(makeKeyCheck(key))]);
    const { rows } = await this.db.query<{ value: KeyCheck }>(`SELECT value FROM ${this.t.settings} WHERE key = 'encryption'`);
    const kept = rows[0]!.value;
    if (!keyMatches(key, kept)) {
      throw new ConfigError([
        {
          path: 'store.encryptionKey',
          message: `this key (id ${keyId(key)}) is not the one the store ${this.db.where} was set up with (id ${kept.keyId}); give every host the same key`,
        },
      ]);
    }
  }
}
