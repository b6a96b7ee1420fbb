import { StoreError } from '../errors.js';
import type { Store } from './store.js';

export interface Moved {
  certificates: number;
  versions: number;
  accounts: number;
  states: number;
  pendingTxt: number;
}

/**
 * Copies one store into another (`certkeeper store migrate`): ACME accounts with their keys, every
 * kept version of every certificate (oldest first, so the newest ends up current), per-certificate
 * state and the pending TXT records. Nothing is issued and nothing is deleted from the source. The
 * target must hold no certificate yet (two installations are never mixed), and every certificate
 * is read back from it and compared before this returns.
 */
export async function moveStore(from: Store, to: Store): Promise<Moved> {
  const already = await to.certs.list();
  if (already.length) {
    throw new StoreError(`${to.where} already holds ${already.length} certificate${already.length === 1 ? '' : 's'} (${already.slice(0, 3).join(', ')}${already.length > 3 ? ', ...' : ''}); moving into it would mix two installations; empty it first`);
  }
  const moved: Moved = { certificates: 0, versions: 0, accounts: 0, states: 0, pendingTxt: 0 };
  for (const directory of await from.accounts.list()) {
    const key = await from.accounts.readKey(directory);
    if (!key) continue;
    await to.accounts.saveKey(directory, key);
    const record = await from.accounts.read(directory);
    if (record) await to.accounts.save(record);
    moved.accounts++;
  }
  const names = await from.certs.list();
  for (const name of names) {
    const versions = await from.certs.versions(name);
    for (const v of versions) await to.certs.save(name, v.fullchainPem, v.keyPem, v.meta);
    moved.versions += versions.length;
    if (versions.length) moved.certificates++;
  }
  const state = await from.openState();
  const target = await to.openState();
  for (const [name, entry] of state.entries()) {
    await target.update(name, () => entry);
    moved.states++;
  }
  const pending = await (await from.openPendingTxt()).list();
  if (pending.length) await (await to.openPendingTxt()).add(pending);
  moved.pendingTxt = pending.length;
  await verify(from, to, names);
  return moved;
}

/** Every certificate reads back from the target as the same certificate the source holds. */
async function verify(from: Store, to: Store, names: string[]): Promise<void> {
  for (const name of names) {
    const [a, b] = [await from.certs.read(name), await to.certs.read(name)];
    if (a.state !== 'ok') continue;
    if (b.state !== 'ok' || b.cert.info.fingerprint256 !== a.cert.info.fingerprint256 || b.cert.keyPem !== a.cert.keyPem) {
      throw new StoreError(`${name}: the copy in ${to.where} does not read back as the certificate in ${from.where}${b.state === 'corrupt' ? ` (${b.reason})` : ''}; the source is unchanged`);
    }
  }
}
