import { AccountStore } from '../store/accounts.js';

/** Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere. */
export function accountDir(dataDir: string, directoryUrl: string): string {
  return new AccountStore(dataDir).dir(directoryUrl);
}

/** See AccountStore.registered: the account URL at this CA from local data only (null: none; undefined: unknown). */
export function registeredAccount(dataDir: string, directoryUrl: string): string | null | undefined {
  return new AccountStore(dataDir).registered(directoryUrl);
}
