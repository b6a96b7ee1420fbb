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
 * One small JSON document in the data directory (state.json, pending-txt.json): read once, written
 * whole and atomically (0600) after every change, writes queued so that parallel changes never
 * interleave. A file that does not parse is kept aside as NAME.corrupt-TIME and reads as missing.
 */
export class JsonFile {
  private writing: Promise<void> = Promise.resolve();

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
      if (opts.readOnly) return undefined;
      const aside = `${this.path}.corrupt-${Date.now()}`;
      await rename(this.path, aside).catch(() => undefined);
      opts.logger?.warn({ file: this.path, keptAs: aside, err: (err as Error).message }, opts.corrupt);
      return undefined;
    }
  }

  /** Writes `value` (serialised now, so later changes to it are not part of this write); resolves once it is on disk. */
  write(value: unknown): Promise<void> {
    const snapshot = `${JSON.stringify(value, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, snapshot, { mode: 0o600 });
    });
    return this.writing;
  }
}
