import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AriState } from '../acme/ari.js';
import { JsonFile } from './json-file.js';

/** What certkeeper remembers about one certificate between passes and restarts. */
export interface CertState {
  failures: number;
  /** No new attempt before this time (backoff or the CA's Retry-After). */
  nextAttempt?: string;
  lastError?: string;
  lastFailure?: string;
  /** What the failed order asked for (backoff.ts orderKey): a different order is not held back. */
  ordered?: string;
  /** Set when the last failure is one retrying cannot fix (bad credentials, a refused name): what a person must fix. */
  humanAction?: string;
  ari?: AriState;
  /** Files the last successful deploy wrote, so `certkeeper remove --files` finds them after the certificate left the configuration. */
  deployedFiles?: string[];
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
 *
 * Entries live in a Map: a certificate named `constructor` or `__proto__` is a key like any other,
 * never a property inherited from Object.prototype. An entry with values that make no sense (a
 * hand-edited file) is read as no entry, for that certificate only.
 */
export class StateStore {
  private certs = new Map<string, CertState>();

  private constructor(private readonly file: JsonFile) {}

  get path(): string {
    return this.file.path;
  }

  static async open(dataDir: string, logger?: Logger, opts: { readOnly?: boolean } = {}): Promise<StateStore> {
    const s = new StateStore(new JsonFile(join(dataDir, 'state.json')));
    const certs = await s.file.read({
      parse: (json) => {
        const parsed = json as StateFile;
        if (parsed?.version !== 1 || typeof parsed.certs !== 'object' || parsed.certs === null || Array.isArray(parsed.certs)) throw new Error('unexpected structure');
        // Object.entries lists own keys only; JSON.parse makes "__proto__" an own key like any other.
        return new Map(Object.entries(parsed.certs).map(([name, v]) => [name, saneState(v)]));
      },
      corrupt: 'state file is corrupt; starting with fresh state (backoff and renewal windows forgotten)',
      logger,
      readOnly: opts.readOnly,
    });
    if (certs) s.certs = certs;
    return s;
  }

  get(name: string): CertState {
    return this.certs.get(name) ?? { failures: 0 };
  }

  /** Every certificate with an entry. */
  entries(): [string, CertState][] {
    return [...this.certs];
  }

  /** Names with an entry. */
  names(): string[] {
    return [...this.certs.keys()];
  }

  /** Forgets one certificate's entry (certkeeper remove). */
  async delete(name: string): Promise<void> {
    if (!this.certs.has(name)) return;
    this.certs.delete(name);
    await this.persist();
  }

  /** Applies `fn` to one certificate's state and persists the whole file. */
  async update(name: string, fn: (s: CertState) => CertState): Promise<CertState> {
    const before = this.certs.get(name);
    const next = fn({ ...this.get(name) });
    // Nothing changed (a first certificate's cleared failure count): the file already says this.
    if (sameState(before ?? { failures: 0 }, next)) return next;
    this.certs.set(name, next);
    await this.persist();
    return next;
  }

  private async persist(): Promise<void> {
    // Object.fromEntries defines own properties, so "__proto__" is written as a key, not a prototype.
    await this.file.write({ version: 1, certs: Object.fromEntries(this.certs) } satisfies StateFile);
  }
}

/** Equal entries (plain JSON data, keys in any order). */
function sameState(a: CertState, b: CertState): boolean {
  const ka = Object.keys(a).filter((k) => a[k as keyof CertState] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k as keyof CertState] !== undefined);
  return ka.length === kb.length && ka.every((k) => JSON.stringify(a[k as keyof CertState]) === JSON.stringify(b[k as keyof CertState]));
}

const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** One entry as read from the file (or another store), keeping only values of the right type (dates that parse). */
export function saneState(v: unknown): CertState {
  if (typeof v !== 'object' || v === null) return { failures: 0 };
  const e = v as Record<string, unknown>;
  const out: CertState = { failures: Number.isInteger(e.failures) && (e.failures as number) >= 0 ? (e.failures as number) : 0 };
  if (isTime(e.nextAttempt)) out.nextAttempt = e.nextAttempt;
  if (typeof e.lastError === 'string') out.lastError = e.lastError;
  if (isTime(e.lastFailure)) out.lastFailure = e.lastFailure;
  if (typeof e.humanAction === 'string') out.humanAction = e.humanAction;
  if (typeof e.ordered === 'string') out.ordered = e.ordered;
  if (Array.isArray(e.deployedFiles) && e.deployedFiles.every((f) => typeof f === 'string')) out.deployedFiles = e.deployedFiles as string[];
  const a = e.ari as Record<string, unknown> | undefined;
  if (a && typeof a.certId === 'string' && isTime(a.start) && isTime(a.end) && isTime(a.selected) && isTime(a.nextPoll)) {
    out.ari = { certId: a.certId, start: a.start, end: a.end, selected: a.selected, nextPoll: a.nextPoll, ...(typeof a.explanationUrl === 'string' ? { explanationUrl: a.explanationUrl } : {}) };
  }
  return out;
}
