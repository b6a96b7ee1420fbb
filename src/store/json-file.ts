import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from './atomic.js';

export interface JsonFileOptions<T> {
  /** Turns the parsed JSON into the value; throws when its structure is not the expected one. */
  parse(json: unknown): T;
  /** The warning logged when the file is corrupt and kept aside (the value then starts empty). */
  corrupt: string;
  logger?: Logger;
  /** Readers (status) leave a corrupt file where it is, for the next writer to deal with. */
  readOnly?: boolean;
}

/**
 * One small JSON document in the data directory (state.json): read once, written
 * whole and atomically (0600) after every change, writes queued so that parallel changes never
 * interleave. A file that does not parse is kept aside as NAME.corrupt-TIME and reads as missing.
 */
export class JsonFile {
  private writing: Promise<void> = Promise.resolve();
  /** The write waiting for the one under way, and the latest value it will write. */
  private queued?: Promise<void>;
  private next: unknown;
  private dirMade = false;

  constructor(readonly path: string) {}

  /** The parsed content; undefined when the file is missing or was corrupt. */
  async read<T>(opts: JsonFileOptions<T>): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return opts.parse(JSON.parse(text));
    } catch (err) {
      if (!opts.readOnly) await keepAside(this.path, err as Error, opts.corrupt, opts.logger);
      return undefined;
    }
  }

  /**
   * Writes `value` (serialised when its write starts: the owners pass their whole, cumulative state);
   * resolves once it, or a later value, is on disk. Writes that arrive while one is under way are folded into one
   * (group commit): parallel orders changing the file at once cost one synced write, not one each.
   */
  write(value: unknown): Promise<void> {
    this.next = value;
    this.queued ??= this.writing.catch(() => undefined).then(async () => {
      const snapshot = serialise(this.next);
      this.queued = undefined;
      // The directory is made once per file object; a failed write makes sure of it again.
      if (!this.dirMade) await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.dirMade = true;
      await writeFileAtomic(this.path, snapshot, { mode: 0o600 }).catch((err: unknown) => {
        this.dirMade = false;
        throw err;
      });
    });
    this.writing = this.queued;
    return this.queued;
  }
}

/** Moves a file that does not parse to NAME.corrupt-TIME (kept for a human) and logs `warning`. */
export async function keepAside(path: string, err: Error, warning: string, logger?: Logger): Promise<void> {
  const aside = `${path}.corrupt-${Date.now()}`;
  await rename(path, aside).catch(() => undefined);
  logger?.warn({ file: path, keptAs: aside, err: err.message }, warning);
}

const serialise = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
