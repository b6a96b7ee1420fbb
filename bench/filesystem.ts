import { readdirSync, readFileSync, realpathSync } from 'node:fs';

/**
 * What kind of filesystem holds `dir`, as a figure's reader needs it: on ext4 without a journal
 * (this sandbox's disk) the kernel passes over every inode freed in the last minute when it allocates
 * one, which journaled ext4 and XFS, as users have, do not; on tmpfs an fsync costs nothing.
 * From /proc (mountinfo; /proc/fs/jbd2 names every device that has a journal), "unknown" elsewhere.
 */
export function describeFilesystem(dir: string): string {
  try {
    const path = realpathSync(dir);
    let best: { mount: string; type: string; source: string } | undefined;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      // id parent major:minor root mount-point options [optional fields] - type source super-options
      const [left, right] = line.split(' - ');
      if (!left || !right) continue;
      const mount = unescape(left.split(' ')[4]!);
      const [type, source] = right.split(' ') as [string, string];
      const inside = path === mount || path.startsWith(mount === '/' ? '/' : `${mount}/`);
      if (inside && (!best || mount.length >= best.mount.length)) best = { mount, type, source };
    }
    if (!best) return 'unknown';
    if (best.type !== 'ext4' && best.type !== 'ext3') return best.type;
    const device = best.source.replace(/^\/dev\//, '');
    const journaled = readdirSync('/proc/fs/jbd2').some((d) => d.startsWith(`${device}-`));
    return `${best.type} ${journaled ? 'with' : 'without'} a journal`;
  } catch {
    return 'unknown';
  }
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
