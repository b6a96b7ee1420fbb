import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/store/accounts.js';
import { tempDir } from '../harness/scenario.js';

const CA = 'https://ca.test/dir';

describe('AccountStore: one account per CA, key rollover and deactivation on disk', () => {
  it('keeps each CA apart; key and record 0600; a fetched EAB is kept with the record', async () => {
    const store = new AccountStore(await tempDir('ck-acct-'));
    await store.saveKey(CA, 'KEY-A');
    await store.save({ directory: CA, url: 'https://ca.test/acct/1', email: 'a@example.com', eab: { kid: 'k', hmacKey: 'h', source: 'zerossl' } });
    expect(await store.readKey(CA)).toBe('KEY-A');
    expect(await store.readKey('https://other.test/dir')).toBeUndefined();
    expect(store.registered(CA)).toBe('https://ca.test/acct/1');
    expect(store.registered('https://other.test/dir')).toBeNull();
    expect((await store.read(CA))?.eab).toEqual({ kid: 'k', hmacKey: 'h', source: 'zerossl' });
    for (const f of ['key.pem', 'account.json']) expect(statSync(join(store.dir(CA), f)).mode & 0o777).toBe(0o600);
  });

  it('rollover: a staged key replaces key.pem only on commit; a discarded one leaves the old key', async () => {
    const store = new AccountStore(await tempDir('ck-acct-'));
    await store.saveKey(CA, 'OLD');
    await store.stageKey(CA, 'REFUSED');
    expect(await store.readKey(CA)).toBe('OLD');
    expect(await store.pendingKey(CA)).toBe('REFUSED');
    await store.discardKey(CA);
    expect(await store.readKey(CA)).toBe('OLD');
    expect(existsSync(join(store.dir(CA), 'key.pem.new'))).toBe(false);
    await store.stageKey(CA, 'NEW');
    await store.commitKey(CA);
    expect(await store.readKey(CA)).toBe('NEW');
    expect(await store.pendingKey(CA)).toBeUndefined();
    expect(statSync(join(store.dir(CA), 'key.pem')).mode & 0o777).toBe(0o600);
  });

  it('retire moves the account aside: nothing is registered there any more, the old key is kept', async () => {
    const data = await tempDir('ck-acct-');
    const store = new AccountStore(data);
    await store.saveKey(CA, 'KEY');
    await store.save({ directory: CA, url: 'https://ca.test/acct/1' });
    const kept = await store.retire(CA, new Date('2026-03-04T05:06:07.890Z'));
    expect(kept).toBe(`${store.dir(CA)}.deactivated-20260304T050607`);
    expect(store.registered(CA)).toBeNull();
    expect(await store.readKey(CA)).toBeUndefined();
    expect((await readdir(join(data, 'accounts'))).length).toBe(1);
    expect(await new AccountStore(data).readKey(CA)).toBeUndefined();
    expect(existsSync(join(kept, 'key.pem'))).toBe(true);
  });
});
