import type { Logger } from 'pino';
import { PendingTxtJournal, type PendingTxtLog } from './pending-txt.js';
import { CertificateStore } from './certs.js';
import { FileAccounts } from './file-accounts.js';
import { StateStore } from './state.js';
import type { Store } from './store.js';

/** The store in dataDir, for one host: what certkeeper always kept there (`store: { type: file }`). */
export class FileStore implements Store {
  readonly kind = 'file';
  readonly certs: CertificateStore;
  readonly accounts: FileAccounts;

  constructor(readonly dataDir: string) {
    this.certs = new CertificateStore(dataDir);
    this.accounts = new FileAccounts(dataDir);
  }

  get where(): string {
    return this.dataDir;
  }

  openState(opts: { readOnly?: boolean; logger?: Logger } = {}): Promise<StateStore> {
    return StateStore.open(this.dataDir, opts.logger, { readOnly: opts.readOnly });
  }

  openPendingTxt(logger?: Logger): Promise<PendingTxtLog> {
    return PendingTxtJournal.open(this.dataDir, logger);
  }

  async close(): Promise<void> {
    // nothing held open between calls
  }
}
