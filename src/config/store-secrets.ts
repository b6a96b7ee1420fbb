import type { StoreConfig } from './store-config.js';

/** The store's secrets (the database password, the encryption key), to cut out of alert texts. */
export function storeSecrets(store: StoreConfig): string[] {
  if (store.type === 'file') return [];
  let password = '';
  try {
    password = decodeURIComponent(new URL(store.url).password);
  } catch {
    // an unparsable URL has no password to hide
  }
  return [password, store.encryptionKey.toString('base64')].filter((s) => s.length >= 6);
}
