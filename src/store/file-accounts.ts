import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccountStore } from './accounts.js';
import type { AccountRecord, AccountRepo } from './store.js';

/**
 * The file store's accounts, as the Store interface has them: dataDir/accounts/<hash>/ through
 * AccountStore (accounts.ts), which the lifecycle commands use for rollover and retirement.
 */
export class FileAccounts implements AccountRepo {
  private readonly files: AccountStore;

  constructor(readonly dataDir: string) {
    this.files = new AccountStore(dataDir);
  }

  readKey(directory: string): Promise<string | undefined> {
    return this.files.readKey(directory);
  }

  async saveKey(directory: string, pem: string): Promise<string> {
    await this.files.saveKey(directory, pem);
    return pem;
  }

  read(directory: string): Promise<AccountRecord | undefined> {
    return this.files.read(directory);
  }

  save(record: AccountRecord): Promise<void> {
    return this.files.save(record);
  }

  async registered(directory: string): Promise<string | null | undefined> {
    return this.files.registered(directory);
  }

  pendingKey(directory: string): Promise<string | undefined> {
    return this.files.pendingKey(directory);
  }

  stageKey(directory: string, pem: string): Promise<void> {
    return this.files.stageKey(directory, pem);
  }

  commitKey(directory: string): Promise<void> {
    return this.files.commitKey(directory);
  }

  discardKey(directory: string): Promise<void> {
    return this.files.discardKey(directory);
  }

  retire(directory: string, now: Date): Promise<string> {
    return this.files.retire(directory, now);
  }

  async hold(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  /** The directories whose account.json names them; a key without one cannot be attributed to a CA. */
  async list(): Promise<string[]> {
    const dirs = await readdir(join(this.dataDir, 'accounts')).catch(() => [] as string[]);
    const out: string[] = [];
    for (const d of dirs) {
      const text = await readFile(join(this.dataDir, 'accounts', d, 'account.json'), 'utf8').catch(() => undefined);
      let directory: unknown;
      try {
        directory = text === undefined ? undefined : (JSON.parse(text) as { directory?: unknown }).directory;
      } catch {
        directory = undefined;
      }
      if (typeof directory === 'string' && existsSync(join(this.dataDir, 'accounts', d, 'key.pem'))) out.push(directory);
    }
    return out.sort();
  }
}
