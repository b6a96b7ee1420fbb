import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../store/atomic.js';

/** Days before expiry of the certificate in use at which an `expiring` alert fires. */
export const THRESHOLDS = [14, 7, 3, 1] as const;
const DAY = 86_400_000;

/**
 * Which threshold to alert for now, if any. Pure. Only the closest crossed threshold fires: a
 * certificate found at 5 days left alerts once for 7, not for 14 and 7.
 */
export function thresholdToFire(notAfter: Date, now: Date, fired: readonly number[]): number | undefined {
  const left = (notAfter.getTime() - now.getTime()) / DAY;
  const crossed = THRESHOLDS.filter((t) => left <= t);
  if (crossed.length === 0) return undefined;
  const closest = Math.min(...crossed);
  return fired.includes(closest) ? undefined : closest;
}

/** Thresholds to record once `threshold` has fired: it and every larger one. */
export function firedAfter(threshold: number): number[] {
  return THRESHOLDS.filter((t) => t >= threshold);
}

interface Entry {
  notAfter: string;
  fired: number[];
}

/**
 * Which thresholds already fired, per certificate, in dataDir/notify-state.json (atomic writes, one
 * at a time). Keyed by the certificate's notAfter: a new certificate starts a new ladder.
 */
export class ExpiringState {
  private data?: Record<string, Entry>;
  private stamp?: string;
  private loading?: Promise<unknown>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Runs `fn` alone (no interleaving with other updates) and persists what it changed. */
  update<T>(fn: (state: Record<string, Entry>) => T): Promise<T> {
    const next = this.chain.then(async () => {
      const state = await this.load();
      const before = JSON.stringify(state);
      const out = fn(state);
      if (JSON.stringify(state) !== before) {
        await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.file, `${JSON.stringify({ expiring: state }, null, 2)}\n`, { mode: 0o600 });
        this.stamp = await stat(this.file).then((st) => `${st.ino}:${st.size}:${st.mtimeMs}`, () => undefined);
      }
      return out;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Records that `name` is in use until `notAfter`; returns the threshold to alert for, if one is
   * newly crossed. A certificate outside every threshold is forgotten, so its next ladder starts fresh.
   */
  async check(name: string, notAfter: Date, now: Date): Promise<number | undefined> {
    const healthy = (notAfter.getTime() - now.getTime()) / DAY > THRESHOLDS[0];
    // The common case, thousands of times a pass: far from expiry and nothing to forget.
    if (healthy) {
      if (!this.data) await (this.loading ??= this.update(() => undefined));
      if (!Object.hasOwn(this.data!, name)) return undefined;
    }
    return this.update((s) => {
      const entry = Object.hasOwn(s, name) && s[name]!.notAfter === notAfter.toISOString() ? s[name]! : { notAfter: notAfter.toISOString(), fired: [] };
      const t = thresholdToFire(notAfter, now, entry.fired);
      if (t !== undefined) s[name] = { notAfter: entry.notAfter, fired: [...new Set([...entry.fired, ...firedAfter(t)])].sort((a, b) => b - a) };
      else if (healthy) delete s[name];
      return t;
    });
  }

  /** Reads the file again when another process (a `renew --now` beside the daemon) wrote it since. */
  private async load(): Promise<Record<string, Entry>> {
    const stamp = await stat(this.file).then((st) => `${st.ino}:${st.size}:${st.mtimeMs}`, () => 'none');
    if (this.data && stamp === this.stamp) return this.data;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { expiring?: Record<string, Entry> };
      this.data = parsed.expiring ?? {};
    } catch {
      this.data = {}; // missing or unreadable: start over (worst case, a threshold alerts twice)
    }
    this.stamp = stamp;
    return this.data;
  }
}
