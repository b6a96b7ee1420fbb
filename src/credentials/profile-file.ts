import { readFileSync, statSync } from 'node:fs';
import { parseIni, type IniSections } from './ini.js';

/** A vendor's INI credentials file, read and parsed, or why not. */
export type ProfileFile = { kind: 'absent' } | { kind: 'error'; message: string } | { kind: 'read'; sections: IniSections; warning?: string };

/**
 * Reads `file` for the chain. A missing file is `absent` (the chain goes on); one that cannot be
 * read or parsed is an error naming the file and the line, never its content, and saying what to do
 * (`variable` points the vendor's SDKs at another file). A file every user may read is used, with a
 * warning: the vendors' SDKs do not check, and refusing would stop renewals over a mode bit.
 * Read again at every pass, so an edited file takes effect without a restart.
 */
export function readProfileFile(file: string, what: string, variable: string): ProfileFile {
  let text: string;
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { kind: 'error', message: `${what} ${file} is not a regular file; remove it, or set ${variable} to the file to use` };
    mode = stat.mode;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    return { kind: 'error', message: `${what} ${file} cannot be read (${code ?? (err as Error).message}); let the user certkeeper runs as read it, or set ${variable} to another file` };
  }
  const parsed = parseIni(text);
  if ('reason' in parsed) return { kind: 'error', message: `${what} ${file}: line ${parsed.line} ${parsed.reason}; correct the file, or set ${variable} to another one` };
  if (!(mode & 0o004)) return { kind: 'read', sections: parsed.sections };
  return { kind: 'read', sections: parsed.sections, warning: `${what} ${file} can be read by every user of this machine (mode ${(mode & 0o777).toString(8)}); chmod 600 it` };
}

/** What a profile lacks, as "a, b", or undefined when it has all of `keys` (non-empty). */
export function missingKeys(profile: Map<string, string>, keys: string[]): string | undefined {
  const gone = keys.filter((k) => !profile.get(k));
  return gone.length ? gone.join(', ') : undefined;
}

/** The sections a file does have, for the line that says the chosen one is not there. */
export function sectionList(sections: IniSections): string {
  const names = [...sections.keys()].map((n) => `[${n}]`);
  return names.length ? `it has ${names.join(', ')}` : 'it has no sections';
}
