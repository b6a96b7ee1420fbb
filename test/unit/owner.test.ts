import { describe, expect, it } from 'vitest';
import { dirAccess, ownershipProblem, type Identity } from '../../src/deploy/owner.js';

const rootNoChown: Identity = { uid: 0, gid: 0, groups: [0], capChown: false };
const node: Identity = { uid: 1000, gid: 1000, groups: [1000, 33], capChown: false };

describe('ownershipProblem: which owner changes need CAP_CHOWN', () => {
  it('needs nothing when the ids are already the running user\'s, or a group it belongs to', () => {
    expect(ownershipProblem([{ path: '/c/a.key', uid: 1000, gid: 1000, from: 'previous' }, { path: '/c/b.key', gid: 33, from: 'config' }, { path: '/c/new.key', from: 'previous' }], node)).toBeUndefined();
    expect(ownershipProblem([{ path: '/c/a.key', uid: 1000, gid: 1000, from: 'previous' }], { ...rootNoChown, capChown: true })).toBeUndefined();
  });

  it('names the file, the ids, where they come from, the capability and the owner:/group: setting', () => {
    expect(ownershipProblem([{ path: '/certs/api.key', uid: 1000, gid: 1000, from: 'previous' }], rootNoChown)).toBe(
      'cannot make /certs/api.key owned by 1000:1000 (the owner of the file it replaces): certkeeper runs as uid 0 without CAP_CHOWN; grant that capability (Docker: cap_add: [CHOWN]) or set owner: 0 and group: 0 on this target; no file was changed',
    );
    expect(ownershipProblem([{ path: '/srv/ssl', gid: 101, from: 'config' }], node)).toMatch(/^cannot make \/srv\/ssl owned by 1000:101 \(owner\/group of the target\)/);
  });
});

describe('dirAccess: directories certkeeper creates', () => {
  it('opens a key directory to the group (or the owner\'s primary group), never to others; others get 0755', () => {
    expect(dirAccess(false, { uid: 33, gid: 33 })).toEqual({ dirMode: 0o755 });
    expect(dirAccess(true, { uid: 33, gid: 101 })).toEqual({ dirMode: 0o750, dirGid: 101 });
    expect(dirAccess(true, { uid: 33, ownerGroup: 33 })).toEqual({ dirMode: 0o750, dirGid: 33 });
    expect(dirAccess(true, { uid: 4242 })).toEqual({ dirMode: 0o711 });
    expect(dirAccess(true, {})).toEqual({ dirMode: 0o700 });
  });
});
