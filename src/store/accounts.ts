import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/** What is kept about the account at one CA, besides its key. */
export interface AccountRecord {
  /** The account's URL at the CA (its id); absent until registered. */
  url?: string;
  directory: string;
  email?: string;
  /** EAB credentials certkeeper fetched itself (ZeroSSL, by e-mail), kept so they are fetched once. */
  eab?: { kid: string; hmacKey: string; source: 'zerossl' };
  /** When `account deactivate` began (before asking the CA): a crash in between is settled from it (acme/deactivation.ts). */
  deactivating?: string;
}

/**
 * ACME accounts, one per directory URL under dataDir/accounts/<hash>/ (key.pem 0600, account.json
 * 0600): switching CA never reuses a key registered elsewhere. The interface is what another store
 * (PostgreSQL) implements; commands and the issuer go through it, never to the files.
 */
export class AccountStore {
  constructor(readonly dataDir: string) {}

  dir(directory: string): string {
    return join(this.dataDir, 'accounts', createHash('sha256').update(directory).digest('hex').slice(0, 16));
  }

  async readKey(directory: string): Promise<string | undefined> {
    return readFile(join(this.dir(directory), 'key.pem'), 'utf8').catch(() => undefined);
  }

  async saveKey(directory: string, pem: string): Promise<void> {
    await mkdir(this.dir(directory), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir(directory), 'key.pem'), pem, { mode: 0o600 });
  }

  async read(directory: string): Promise<AccountRecord | undefined> {
    const text = await readFile(join(this.dir(directory), 'account.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const r = JSON.parse(text) as AccountRecord;
      return { ...r, directory: r.directory ?? directory };
    } catch {
      return undefined;
    }
  }

  async save(record: AccountRecord): Promise<void> {
    await mkdir(this.dir(record.directory), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir(record.directory), 'account.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  }

  /**
   * The URL of the account registered at this CA, from local data only: null when there is no
   * account key either (the next order registers a new account), undefined when it cannot be known
   * (a key without account.json finds its existing account again at the CA).
   */
  registered(directory: string): string | null | undefined {
    const dir = this.dir(directory);
    let text: string;
    try {
      // Synchronous: one small file, read once per pass.
      text = readFileSync(join(dir, 'account.json'), 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(join(dir, 'key.pem')) ? null : undefined;
    }
    try {
      const url = (JSON.parse(text) as { url?: unknown }).url;
      return typeof url === 'string' && url ? url : null;
    } catch {
      return undefined;
    }
  }

  /**
   * Key rollover: the new key is written beside the old one first (`stage`, key.pem.new), the CA
   * switches, then `commit` renames it over key.pem. A failed switch drops it (`discard`).
   */
  async pendingKey(directory: string): Promise<string | undefined> {
    return readFile(join(this.dir(directory), 'key.pem.new'), 'utf8').catch(() => undefined);
  }

  async stageKey(directory: string, pem: string): Promise<void> {
    await writeFileAtomic(join(this.dir(directory), 'key.pem.new'), pem, { mode: 0o600 });
  }

  async commitKey(directory: string): Promise<void> {
    await rename(join(this.dir(directory), 'key.pem.new'), join(this.dir(directory), 'key.pem'));
  }

  async discardKey(directory: string): Promise<void> {
    await rm(join(this.dir(directory), 'key.pem.new'), { force: true });
  }

  /** A deactivated account is kept aside (never deleted: its key may still be needed) and the next order registers a new one. */
  async retire(directory: string, now: Date): Promise<string> {
    const from = this.dir(directory);
    const to = `${from}.deactivated-${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
    try {
      await rename(from, to);
    } catch (err) {
      throw new StoreError(`cannot move the deactivated account ${from} aside: ${(err as Error).message}`, { cause: err });
    }
    return to;
  }
}
