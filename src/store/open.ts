import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { FileStore } from './file-store.js';
import type { Store } from './store.js';

/**
 * The store the configuration names: files in dataDir, or PostgreSQL (loaded only then). By default
 * a PostgreSQL store is connected (schema migrated, key checked) before it is returned, so a command
 * fails at once, with one line, when it cannot be used.
 */
export async function openStore(config: Config, logger: Logger, opts: { connect?: boolean } = {}): Promise<Store> {
  if (config.store.type === 'file') return new FileStore(config.dataDir);
  const { PostgresStore } = await import('./postgres/index.js');
  const store = new PostgresStore(config.store, config.node, logger);
  if (opts.connect === false) return store;
  try {
    await store.connect();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Whether two configurations name the same store (a reload that changes it must open the new one). */
export function sameStore(a: Config, b: Config): boolean {
  if (a.store.type === 'file' || b.store.type === 'file') return a.store.type === b.store.type && a.dataDir === b.dataDir;
  return a.store.url === b.store.url && a.store.schema === b.store.schema && a.store.encryptionKey.equals(b.store.encryptionKey) && a.store.poolSize === b.store.poolSize && a.node === b.node;
}
