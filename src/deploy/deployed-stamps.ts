import type { Stats } from 'node:fs';
import { LineCache } from '../store/line-cache.js';

const TAB = 9;

/**
 * Deployed files already found to hold a stored set, by path, in `dataDir/deployed.index`: a pass over
 * thousands of unchanged certificates then compares a stat per file instead of reading every deployed
 * file and the stored one. The stamp (inode, size, mtime, ctime) changes with any write, rename or
 * chmod, so a file someone touched is read and compared again. One line per file, `PATH \t STAMP \t SET
 * \t ROLE`, compared in place. Only a cache: lost, it costs time.
 */
export class DeployedStamps {
  private readonly lines: LineCache;

  /** `legacy`: the JSON file of the earlier format (deployed.json), removed once this one is written. */
  constructor(file: string, legacy?: string) {
    this.lines = new LineCache(file, 'certkeeper deployed files 2', legacy);
  }

  /** True when `path` is known to hold `set` in `role`, as it is on disk now. */
  holds(path: string, st: Stats, set: string, role: string): boolean {
    const line = this.lines.get(path);
    if (!line) return false;
    // Field by field in place: no joined copy of the line per file.
    const { text, at, end } = line;
    const stamp = stampOf(st);
    const setAt = at + stamp.length + 1;
    const roleAt = setAt + set.length + 1;
    return (
      end - roleAt === role.length &&
      text.charCodeAt(setAt - 1) === TAB &&
      text.charCodeAt(roleAt - 1) === TAB &&
      text.startsWith(stamp, at) &&
      text.startsWith(set, setAt) &&
      text.startsWith(role, roleAt)
    );
  }

  /** Notes what `path` holds; a path the line format cannot carry (a tab or newline in it) is not noted. */
  record(path: string, st: Stats, set: string, role: string): void {
    this.lines.set(path, seenAs(st, set, role));
  }

  flush(): Promise<void> {
    return this.lines.flush();
  }
}

function seenAs(st: Stats, set: string, role: string): string {
  return `${stampOf(st)}\t${set}\t${role}`;
}

export function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
