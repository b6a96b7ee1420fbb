import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AriState } from '../acme/ari.js';
import { writeFileAtomic } from './atomic.js';

/** What certkeeper remembers about one certificate between passes and restarts. */
export interface CertState {
  failures: number;
  /** No new attempt before this time (backoff or the CA's Retry-After). */
  nextAttempt?: string;
  lastError?: string;
  lastFailure?: string;
  ari?: AriState;
}

interface StateFile {
  version: 1;
  certs: Record<string, CertState>;
}

/**
 * `dataDir/state.json`: per-certificate failures, backoff and ARI windows. Written atomically after
 * every change (writes are queued, so concurrent orders in one pass never interleave). A file that
 * does not parse is kept aside as state.json.corrupt-TIME and the state starts fresh: losing backoff
 * data costs at most an early retry, never a certificate.
 */
export class StateStore {
  private data: StateFile = { version: 1, certs: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(dataDir: string, logger?: Logger, opts: { readOnly?: boolean } = {}): Promise<StateStore> {
    const s = new StateStore(join(dataDir, 'state.json'));
    let text: string | undefined;
    try {
      text = await readFile(s.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as StateFile;
        if (parsed?.version !== 1 || typeof parsed.certs !== 'object' || parsed.certs === null) throw new Error('unexpected structure');
        s.data = parsed;
      } catch (err) {
        if (opts.readOnly) return s; // readers (status) leave the file for the next pass to deal with
        const aside = `${s.path}.corrupt-${Date.now()}`;
        await rename(s.path, aside).catch(() => undefined);
        logger?.warn({ file: s.path, keptAs: aside, err: (err as Error).message }, 'state file is corrupt; starting with fresh state (backoff and renewal windows forgotten)');
      }
    }
    return s;
  }

  get(name: string): CertState {
    return this.data.certs[name] ?? { failures: 0 };
  }

  all(): Record<string, CertState> {
    return this.data.certs;
  }

  /** Applies `fn` to one certificate's state and persists the whole file. */
  async update(name: string, fn: (s: CertState) => CertState): Promise<CertState> {
    const next = fn({ ...this.get(name) });
    this.data.certs[name] = next;
    const snapshot = `${JSON.stringify(this.data, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, snapshot, { mode: 0o600 });
    });
    await this.writing;
    return next;
  }
}
