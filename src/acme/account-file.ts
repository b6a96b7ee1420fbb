import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere. */
export function accountDir(dataDir: string, directoryUrl: string): string {
  return join(dataDir, 'accounts', createHash('sha256').update(directoryUrl).digest('hex').slice(0, 16));
}

/**
 * The URL of the account registered at this CA, read from its account.json without any network:
 * null when there is no account key either (the next order registers a new account), undefined when
 * it cannot be known (a key without account.json finds its existing account again at the CA).
 */
export function registeredAccount(dataDir: string, directoryUrl: string): string | null | undefined {
  const dir = accountDir(dataDir, directoryUrl);
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
