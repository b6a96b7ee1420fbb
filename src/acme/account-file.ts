import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere. */
export function accountDir(dataDir: string, directoryUrl: string): string {
  return join(dataDir, 'accounts', createHash('sha256').update(directoryUrl).digest('hex').slice(0, 16));
}
