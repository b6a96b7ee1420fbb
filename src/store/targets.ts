import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from './atomic.js';

/** The last deploy of one target of one certificate, and what a cloud target uploaded. */
export interface TargetRecord {
  /** "nginx" (file layouts) or the cloud target's type. */
  type: string;
  result: 'ok' | 'failed';
  /** When the deploy ended (ISO). */
  at: string;
  /** Serial of the certificate deployed (or attempted). */
  serial: string;
  /** One line: why it failed. */
  error?: string;
  /** What was bound where (cloud targets). */
  bound?: string[];
  /** Cloud targets: digest of the placement options the last successful deploy used. */
  config?: string;
  /** Cloud targets: the vendor's id of the certificate bound now. */
  current?: string;
  /** Cloud targets: every upload not deleted yet (the current one included). */
  uploads?: { id: string; serial: string }[];
}

/**
 * Per-certificate, per-target deploy records: what `status` shows, and what makes cloud deploys
 * idempotent (the id uploaded for a serial) and lets them delete exactly their own old uploads. A
 * store shared by several hosts (PostgreSQL) implements the same three calls.
 */
export interface TargetRecords {
  get(cert: string, target: string): Promise<TargetRecord | undefined>;
  /** Every record of a certificate, by target id. */
  all(cert: string): Promise<Record<string, TargetRecord>>;
  put(cert: string, target: string, record: TargetRecord): Promise<void>;
}

interface RecordsFile {
  version: 1;
  certs: Record<string, Record<string, TargetRecord>>;
}

/**
 * `dataDir/targets.json`, written atomically after every change (writes queued). A file that does not
 * parse is kept aside and the records start empty: a cloud target then uploads again (the vendors
 * return the identical certificate's id) but cannot delete the uploads it no longer knows.
 */
export class TargetRecordFile implements TargetRecords {
  private certs = new Map<string, Map<string, TargetRecord>>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(dataDir: string, opts: { logger?: Logger; readOnly?: boolean } = {}): Promise<TargetRecordFile> {
    const f = new TargetRecordFile(join(dataDir, 'targets.json'));
    let text: string | undefined;
    try {
      text = await readFile(f.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) return f;
    try {
      const parsed = JSON.parse(text) as RecordsFile;
      if (parsed?.version !== 1 || typeof parsed.certs !== 'object' || parsed.certs === null) throw new Error('unexpected structure');
      f.certs = new Map(Object.entries(parsed.certs).map(([name, targets]) => [name, new Map(Object.entries(targets ?? {}).filter(([, r]) => sane(r)))]));
    } catch (err) {
      if (opts.readOnly) return f;
      const aside = `${f.path}.corrupt-${Date.now()}`;
      await rename(f.path, aside).catch(() => undefined);
      opts.logger?.warn({ file: f.path, keptAs: aside, err: (err as Error).message }, 'target records are corrupt; starting without them (old cloud uploads are no longer cleaned up)');
    }
    return f;
  }

  async get(cert: string, target: string): Promise<TargetRecord | undefined> {
    return this.certs.get(cert)?.get(target);
  }

  async all(cert: string): Promise<Record<string, TargetRecord>> {
    return this.allNow(cert);
  }

  /** Whether any target of `cert` has a record (status asks before it looks up each target's). */
  has(cert: string): boolean {
    return this.certs.has(cert);
  }

  /** all() without the promise (status over thousands of certificates). */
  allNow(cert: string): Record<string, TargetRecord> {
    return Object.fromEntries(this.certs.get(cert) ?? []);
  }

  async put(cert: string, target: string, record: TargetRecord): Promise<void> {
    let targets = this.certs.get(cert);
    if (!targets) this.certs.set(cert, (targets = new Map()));
    targets.set(target, record);
    const snapshot: RecordsFile = { version: 1, certs: Object.fromEntries([...this.certs].map(([name, t]) => [name, Object.fromEntries(t)])) };
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, text, { mode: 0o600 });
    });
    await this.writing;
  }
}

function sane(r: unknown): r is TargetRecord {
  const x = r as Partial<TargetRecord> | null;
  return !!x && typeof x.type === 'string' && (x.result === 'ok' || x.result === 'failed') && typeof x.at === 'string' && typeof x.serial === 'string';
}
