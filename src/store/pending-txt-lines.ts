import { createHash } from 'node:crypto';
import type { PendingTxt, RecordKey } from './pending-txt.js';

/**
 * The lines of `dataDir/pending-txt.json` (store/pending-txt.ts), pure: one JSON object per line, each
 * ending in `,"sum":"…"}`, a digest of the line without it, so a line half written or damaged on disk
 * is told from a whole one. The first line may be a snapshot, `{"version":1,"records":[…],"sum":…}`:
 * the very document builds before the journal wrote whole (they ignore the extra field), so a
 * compacted journal stays readable by them; the lines after it are events.
 */
export type JournalLine =
  | { version: 1; records: PendingTxt[] }
  | { add: PendingTxt }
  | { remove: RecordKey }
  | { failed: RecordKey; attempts: number };

export interface Replayed {
  records: PendingTxt[];
  /**
   * Appending would not continue this file as a clean journal (a torn last line, or the whole
   * document an older build wrote): the next write replaces it whole.
   */
  rewrite: boolean;
  /** Bytes of the leading snapshot line (0 when none): what the file holds once compacted. */
  snapshotBytes: number;
}

const SUM = /,"sum":"([0-9a-f]{16})"\}$/;

const digest = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

/** One line, newline included. */
export function sealLine(line: JournalLine): string {
  const body = JSON.stringify(line);
  return `${body.slice(0, -1)},"sum":"${digest(body)}"}\n`;
}

/** The line's content, or undefined when it is not a whole, sealed line. */
export function unsealLine(text: string): unknown {
  const m = SUM.exec(text);
  if (!m) return undefined;
  const body = `${text.slice(0, m.index)}}`;
  if (digest(body) !== m[1]) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export const sameKey = (a: RecordKey, b: RecordKey) => a.entry === b.entry && a.fqdn === b.fqdn && a.value === b.value;

export const keyOf = (r: RecordKey): RecordKey => ({ entry: r.entry, fqdn: r.fqdn, value: r.value });

/**
 * What the file says is pending. A last line without its newline is an append a crash cut short
 * and is ignored (its add had not been reported kept; a removal or a count lost so is done again).
 * Throws when the file is damaged: a whole line that fails its check, or a structure no build wrote.
 */
export function replayJournal(text: string): Replayed {
  const lines = text.split('\n');
  const tail = lines.pop()!;
  if (lines.length && unsealLine(lines[0]!) === undefined) return olderDocument(text);
  let records: PendingTxt[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = unsealLine(lines[i]!);
    if (line === undefined) throw new Error(`line ${i + 1} fails its check`);
    records = applyLine(records, line, i + 1);
  }
  // A lone line without its newline: the first append to a new file cut short (a snapshot is never
  // appended), or else an older build's document, whole or damaged.
  if (!lines.length && tail) return /^\{"(add|remove|failed)":/.test(tail) ? { records: [], rewrite: true, snapshotBytes: 0 } : olderDocument(tail);
  const first = lines.length ? (unsealLine(lines[0]!) as { version?: unknown }) : undefined;
  return { records, rewrite: tail !== '', snapshotBytes: first?.version === 1 ? Buffer.byteLength(lines[0]!) + 1 : 0 };
}

function applyLine(records: PendingTxt[], line: unknown, n: number): PendingTxt[] {
  const l = line as Partial<Record<'version' | 'records' | 'add' | 'remove' | 'failed' | 'attempts', unknown>>;
  if (l.version === 1 && Array.isArray(l.records) && l.records.every(isPending)) return l.records.map((r) => ({ ...r }));
  if (isPending(l.add)) {
    const add = l.add;
    if (!records.some((r) => sameKey(r, add))) records.push({ ...add });
    return records;
  }
  if (isKey(l.remove)) {
    const gone = l.remove;
    return records.filter((r) => !sameKey(r, gone));
  }
  if (isKey(l.failed) && typeof l.attempts === 'number') {
    const key = l.failed;
    const attempts = l.attempts;
    return records.map((r) => (sameKey(r, key) ? { ...r, attempts } : r));
  }
  throw new Error(`line ${n} has an unexpected structure`);
}

/** The whole file as builds before the journal wrote it: `{"version":1,"records":[…]}`. */
function olderDocument(text: string): Replayed {
  const parsed = JSON.parse(text) as { version?: unknown; records?: unknown };
  if (parsed?.version !== 1 || !Array.isArray(parsed.records) || !parsed.records.every(isPending)) throw new Error('unexpected structure');
  return { records: parsed.records, rewrite: true, snapshotBytes: 0 };
}

export function isPending(x: unknown): x is PendingTxt {
  const r = x as Record<string, unknown>;
  return !!r && typeof r === 'object' && ['entry', 'type', 'fqdn', 'value', 'cert', 'at'].every((k) => typeof r[k] === 'string');
}

function isKey(x: unknown): x is RecordKey {
  const r = x as Record<string, unknown>;
  return !!r && typeof r === 'object' && ['entry', 'fqdn', 'value'].every((k) => typeof r[k] === 'string');
}
