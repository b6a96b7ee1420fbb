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
  versions(name: string): Promise<StoredVersion[]>;
  /** Marks the current version revoked (`certkeeper revoke`): it is due at once, on every host that reads it. */
  markRevoked(name: string, revoked: { at: string; reason: string }): Promise<void>;
  /**
   * Deletes every version (`certkeeper remove`): no host deploys it any more. A shared store also
   * forgets what each host deployed of it, so the fleet view no longer lists it.
   */
  remove(name: string): Promise<void>;
  /**
   * Writes what reads learnt for the next run: the file store's facts index (dataDir/facts.index). The
   * PostgreSQL store has none (a read is one query for the current row) and leaves it out.
   */
  flush?(): Promise<void>;
}

export interface StateRepo {
  get(name: string): CertState;
  update(name: string, fn: (s: CertState) => CertState): Promise<CertState>;
  entries(): [string, CertState][];
  /** Forgets one certificate's entry (certkeeper remove). */
  delete(name: string): Promise<void>;
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
  /**
   * Key rollover (RFC 8555 §7.3.5), crash-safe: the new key is kept as pending (stageKey) before the
   * CA is asked to switch, and becomes the account key (commitKey) once it has; a refused switch drops
   * it (discardKey). A pending key found later means a rollover stopped in between: the CA says which
   * key it holds (src/acme/key-rollover.ts).
   */
  pendingKey(directory: string): Promise<string | undefined>;
  stageKey(directory: string, pem: string): Promise<void>;
  commitKey(directory: string): Promise<void>;
  discardKey(directory: string): Promise<void>;
  /** Moves a deactivated account aside (kept, never deleted) so the next order registers a new one; says where it is kept. */
  retire(directory: string, now: Date): Promise<string>;
  /**
   * Holds the account against other hosts while its key changes (a shared store: an advisory lock);
   * the answer lets go. The file store needs none: every caller already holds dataDir's lock.
   */
  hold(directory: string): Promise<() => Promise<void>>;
}
