import { readFile } from 'node:fs/promises';
import { DeployError } from '../errors.js';

/**
 * User and group names to numeric ids, read from /etc/passwd and /etc/group (Node has no getpwnam).
 * Numbers pass through. Unknown names are a deploy error naming the field.
 */
export async function resolveOwner(owner: string | number | undefined, group: string | number | undefined): Promise<{ uid?: number; gid?: number }> {
  return {
    uid: owner === undefined ? undefined : await lookup(owner, '/etc/passwd', 'user'),
    gid: group === undefined ? undefined : await lookup(group, '/etc/group', 'group'),
  };
}

async function lookup(v: string | number, file: string, what: string): Promise<number> {
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === v && id !== undefined && /^\d+$/.test(id)) return Number(id);
  }
  throw new DeployError(`no ${what} named "${v}" in ${file}: use an existing ${what} or a numeric id`);
}
