import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DeployError } from '../errors.js';

export interface OwnerIds {
  uid?: number;
  gid?: number;
  /** The owner's primary group from /etc/passwd, when `owner` is a known user: lets it into a key directory. */
  ownerGroup?: number;
}

/**
 * User and group names to numeric ids, read from /etc/passwd and /etc/group (Node has no getpwnam).
 * Numbers pass through. Unknown names are a deploy error naming the field.
 */
export async function resolveOwner(owner: string | number | undefined, group: string | number | undefined): Promise<OwnerIds> {
  const passwd = owner === undefined ? '' : await readFile('/etc/passwd', 'utf8').catch(() => '');
  const uid = owner === undefined ? undefined : await lookup(owner, '/etc/passwd', 'user', passwd);
  const entry = uid === undefined ? undefined : passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  const primary = entry?.split(':')[3];
  return {
    uid,
    gid: group === undefined ? undefined : await lookup(group, '/etc/group', 'group'),
    ownerGroup: primary !== undefined && /^\d+$/.test(primary) ? Number(primary) : undefined,
  };
}

async function lookup(v: string | number, file: string, what: string, text?: string): Promise<number> {
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  text ??= await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === v && id !== undefined && /^\d+$/.test(id)) return Number(id);
  }
  throw new DeployError(`no ${what} named "${v}" in ${file}: use an existing ${what} or a numeric id`);
}

/**
 * Mode and group of a directory certkeeper creates. It stays owned by the user certkeeper runs as,
 * never by `owner`: a directory the owner could write to would let that user swap a staged file
 * for a symbolic link while root writes it. A directory that will hold a key is closed to others;
 * the target's group (or the owner's primary group) may enter and read it; an owner with neither
 * may only pass through (0711) to open its own key by name.
 */
export function dirAccess(holdsKey: boolean, ids: OwnerIds): { dirMode: number; dirGid?: number } {
  if (!holdsKey) return { dirMode: 0o755 };
  const gid = ids.gid ?? ids.ownerGroup;
  if (gid !== undefined) return { dirMode: 0o750, dirGid: gid };
  return { dirMode: ids.uid !== undefined ? 0o711 : 0o700 };
}

/** Who certkeeper runs as, and whether it may give files away (CAP_CHOWN in the effective set). */
export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
  capChown: boolean;
}

export function currentIdentity(): Identity {
  const uid = process.geteuid?.() ?? 0;
  let capChown = uid === 0;
  try {
    // CapEff is a hex mask; CAP_CHOWN is bit 0 (capability.h). Root without it is the Docker cap_drop case.
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) capChown = (BigInt(`0x${m[1]}`) & 1n) === 1n;
  } catch {
    // No /proc (not Linux): fall back to "root may".
  }
  return { uid, gid: process.getegid?.() ?? 0, groups: process.getgroups?.() ?? [], capChown };
}

export interface OwnershipWanted {
  path: string;
  uid?: number;
  gid?: number;
  /** Where the ids come from, for the message: the target's `owner`/`group`, or the file being replaced. */
  from: 'config' | 'previous';
}

/**
 * The first file certkeeper would have to give away without being allowed to, as one line saying
 * what to change; undefined when every owner and group can be set. A file certkeeper creates is its
 * own: keeping the uid needs nothing, a group it belongs to needs nothing, anything else needs CAP_CHOWN.
 */
export function ownershipProblem(wanted: OwnershipWanted[], who: Identity): string | undefined {
  if (who.capChown) return undefined;
  for (const w of wanted) {
    const uidOk = w.uid === undefined || w.uid === who.uid;
    const gidOk = w.gid === undefined || w.gid === who.gid || who.groups.includes(w.gid);
    if (uidOk && gidOk) continue;
    const ids = `${w.uid ?? who.uid}:${w.gid ?? who.gid}`;
    const why = w.from === 'config' ? 'owner/group of the target' : 'the owner of the file it replaces';
    return `cannot make ${w.path} owned by ${ids} (${why}): certkeeper runs as uid ${who.uid} without CAP_CHOWN; grant that capability (Docker: cap_add: [CHOWN]) or set owner: ${who.uid} and group: ${who.gid} on this target; no file was changed`;
  }
  return undefined;
}
