import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accountDir } from '../acme/account-file.js';
import { writeFileAtomic } from './atomic.js';
import type { AccountRecord, AccountRepo } from './store.js';

/** ACME accounts under dataDir/accounts/<hash of the directory URL>/: key.pem and account.json, both 0600. */
export class FileAccounts implements AccountRepo {
  constructor(readonly dataDir: string) {}

  async readKey(directory: string): Promise<string | undefined> {
    return readFile(join(accountDir(this.dataDir, directory), 'key.pem'), 'utf8').catch(() => undefined);
  }

  async saveKey(directory: string, pem: string): Promise<string> {
    const dir = accountDir(this.dataDir, directory);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'key.pem'), pem, { mode: 0o600 });
    return pem;
  }

  async read(directory: string): Promise<AccountRecord | undefined> {
    const text = await readFile(join(accountDir(this.dataDir, directory), 'account.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const r = JSON.parse(text) as AccountRecord;
      return { ...r, directory: typeof r.directory === 'string' ? r.directory : directory };
    } catch {
      return undefined;
    }
  }

  async save(record: AccountRecord): Promise<void> {
    const dir = accountDir(this.dataDir, record.directory);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'account.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  }

  async registered(directory: string): Promise<string | null | undefined> {
    const dir = accountDir(this.dataDir, directory);
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
