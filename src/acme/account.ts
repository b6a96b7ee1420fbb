import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as acme from 'acme-client';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { writeFileAtomic } from '../store/atomic.js';
import { accountDir } from './account-file.js';
import { AcmeSession, configureHttp } from './session.js';

/**
 * Opens the ACME account for the configured CA, creating its key (0600) and registering it the first
 * time. Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere.
 */
export async function openAccount(acmeCfg: Config['acme'], dataDir: string, logger: Logger, directoryUrl = acmeCfg.directory): Promise<AcmeSession> {
  configureHttp(acmeCfg.caBundle);
  const dir = accountDir(dataDir, directoryUrl);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'key.pem');
  const metaPath = join(dir, 'account.json');

  let key = await readFile(keyPath, 'utf8').catch(() => undefined);
  if (!key) {
    key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    await writeFileAtomic(keyPath, key, { mode: 0o600 });
  }
  const meta = await readFile(metaPath, 'utf8')
    .then((t) => JSON.parse(t) as { url?: string })
    .catch(() => ({}) as { url?: string });

  const session = new AcmeSession(directoryUrl, key, meta.url, acmeCfg.eab);
  if (!meta.url) {
    const url = await session.ensureAccount(acmeCfg.email);
    await writeFileAtomic(metaPath, `${JSON.stringify({ url, directory: directoryUrl, email: acmeCfg.email }, null, 2)}\n`, { mode: 0o600 });
    logger.info({ directory: directoryUrl, account: url }, 'ACME account registered');
  }
  return session;
}
