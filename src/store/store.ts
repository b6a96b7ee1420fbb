import type { Logger } from 'pino';
import type { PendingTxtLog } from './pending-txt.js';
import type { CertificateMeta, ReadResult, StoredCertificate } from './certs.js';
import type { AccountRecord } from './accounts.js';
import type { SharedStore } from './shared.js';
import type { CertState } from './state.js';

/**
 * Everything certkeeper keeps between runs, behind one interface with two implementations: files in
 * dataDir (file-store.ts, one host) and PostgreSQL (postgres/, several hosts). The pass, the commands
 * and `store migrate` see only this. Documents (certificate meta, state, account records) are JSON
 * objects the store keeps whole, so a field another module adds (which CA issued a certificate, a
 * revoked flag, a cached EAB) is kept by either store without a change here.
 */
export interface Store {
  readonly kind: 'file' | 'postgres';
  /** The data directory or the database (never with a password), for messages. */
  readonly where: string;
  readonly certs: CertificateRepo;
  readonly accounts: AccountRepo;
  /** Per-certificate failures, backoff and ARI windows, read once per pass. */
  openState(opts?: { readOnly?: boolean; logger?: Logger }): Promise<StateRepo>;
  /** Challenge TXT records written and not yet removed. */
  openPendingTxt(logger?: Logger): Promise<PendingTxtLog>;
  /** Present when several hosts share the store: claims, deploy records, the fleet. */
  readonly shared?: SharedStore;
  close(): Promise<void>;
}

/** One stored version of a certificate, as `store migrate` moves it. */
export interface StoredVersion {
  fullchainPem: string;
  keyPem: string;
  meta: CertificateMeta;
}

export interface CertificateRepo {
  read(name: string): Promise<ReadResult>;
  /** Stores a new version and makes it current. */
  save(name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): Promise<StoredCertificate>;
  /** Names of every stored certificate, configured or not. */
  list(): Promise<string[]>;
  /** Every kept version, oldest first; the last is the current one. */
  versions(name: string): Promise<StoredVersion[]>;  /**
   * Writes what reads learnt for the next run: the file store's facts index (dataDir/index.json). The
   * PostgreSQL store has none (a read is one query for the current row) and leaves it out.
   */
  flush?(): Promise<void>;
}

export interface StateRepo {
  get(name: string): CertState;
  update(name: string, fn: (s: CertState) => CertState): Promise<CertState>;
  entries(): [string, CertState][];
}

/** What is kept about the ACME account at one CA besides its key (accounts.ts); either store keeps it whole. */
export type { AccountRecord } from './accounts.js';

/** ACME accounts, one per CA directory URL: switching CA never reuses a key registered elsewhere. */
export interface AccountRepo {
  readKey(directory: string): Promise<string | undefined>;
  /**
   * Keeps `pem` as the account key unless one is kept already (another host got there first) and
   * returns the key in use, so hosts starting together end up with one account.
   */
  saveKey(directory: string, pem: string): Promise<string>;
  read(directory: string): Promise<AccountRecord | undefined>;
  save(record: AccountRecord): Promise<void>;
  /**
   * The account URL at this CA from stored data only: null when there is no key either (the next
   * order registers one), undefined when it cannot be known (a key without a record).
   */
  registered(directory: string): Promise<string | null | undefined>;
  /** Directory URLs with a kept key. */
  list(): Promise<string[]>;
}
