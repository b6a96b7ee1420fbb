import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { recoverDeploys } from '../deploy/deployer.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import { FileStore } from '../store/file-store.js';
import type { CertState } from '../store/state.js';
import type { Store } from '../store/store.js';

/** What `certkeeper remove NAME` deletes, listed before anything is. */
export interface RemovalPlan {
  name: string;
  /** Store entries: the current version and the kept ones (paths in dataDir, or where in the database). */
  store: string[];
  /** Its state entry (backoff, renewal window, deployed files). */
  state: boolean;
  /** Deployed files that are deleted (with --files). */
  files: string[];
  /** Deployed files left alone, and why. */
  kept: { path: string; why: string }[];
  /** With a shared store: the other hosts that still deploy it (their configuration lists it). */
  elsewhere: string[];
}

const REMOVED = 'removed from the shared store';
/** A century: "until a person acts", as a date the backoff understands. */
const HELD_MS = 100 * 365 * 86_400_000;

/**
 * The state a shared store keeps for a removed certificate, so a host whose configuration still lists
 * it neither orders it again nor deploys anything: held as a failure only a person can fix (the
 * backoff's `humanAction`), with who removed it. `renew --now --force --only NAME` orders it again.
 */
export function removedState(name: string, node: string, now: Date): CertState {
  const why = `${REMOVED} by certkeeper remove on ${node} at ${now.toISOString()}; delete it from certificates: on this host, or order it again with certkeeper renew --now --force --only ${name}`;
  return { failures: 1, lastError: why, lastFailure: now.toISOString(), humanAction: why, nextAttempt: new Date(now.getTime() + HELD_MS).toISOString() };
}

/**
 * Plans the removal of a certificate that has left the configuration, from the configured store. A
 * deploy a crash left half done is settled first (recoverDeploys), so no journal that could still
 * restore files is lost. A deployed file another configured certificate writes too is never deleted.
 * With a shared store, the plan names the other hosts that still deploy it.
 */
export async function planRemoval(config: Config, store: Store, name: string, opts: { files: boolean }, logger: Logger): Promise<RemovalPlan> {
  if (config.certificates.some((c) => c.name === name)) {
    throw new UsageError(said('removeConfigured', name, config.file));
  }
  await recoverDeploys(config.dataDir, logger);
  const state = await store.openState({ logger });
  const entries = await storeEntries(store, name);
  // A shared store's record of an earlier removal is not something to remove again.
  const hasState = state.entries().some(([n, st]) => n === name && !st.humanAction?.startsWith(REMOVED));
  if (!entries.length && !hasState) {
    throw new UsageError(said('nothingStored', name, store.where, await store.certs.list()));
  }
  const me = store.shared?.node;
  const elsewhere = store.shared ? ((await store.shared.fleet()).find((f) => f.name === name)?.hosts ?? []).map((h) => h.node).filter((n) => n !== me) : [];
  const inUse = new Map<string, string>();
  for (const c of config.certificates) for (const t of c.targets) for (const f of t.files) inUse.set(f.path, c.name);
  const plan: RemovalPlan = { name, store: entries, state: hasState, files: [], kept: [], elsewhere };
  for (const path of state.get(name).deployedFiles ?? []) {
    if (!existsSync(path)) continue;
    const other = inUse.get(path);
    if (other) plan.kept.push({ path, why: `certificate ${other} deploys there now` });
    else if (!opts.files) plan.kept.push({ path, why: 'deployed files are deleted only with --files' });
    else plan.files.push(path);
  }
  return plan;
}

/** The file store's paths; in a database, the versions kept there. */
async function storeEntries(store: Store, name: string): Promise<string[]> {
  if (store instanceof FileStore) return store.certs.entries(name).filter((p) => existsSync(p));
  const versions = (await store.certs.versions(name)).length;
  return versions ? [`${store.where}#${name}: ${versions} version${versions > 1 ? 's' : ''}, and what each host deployed of it`] : [];
}

/**
 * Carries out a plan: deployed files, then the store entries, then the state entry (a shared store
 * keeps it as removedState, for the hosts that may still list the certificate).
 */
export async function removeCertificate(store: Store, plan: RemovalPlan, logger: Logger, now: Date): Promise<void> {
  for (const f of plan.files) await rm(f, { force: true });
  await store.certs.remove(plan.name);
  const state = await store.openState({ logger });
  if (store.shared) await state.update(plan.name, () => removedState(plan.name, store.shared!.node, now));
  else if (plan.state) await state.delete(plan.name);
}

/** The plan as lines for a person. */
export function describePlan(plan: RemovalPlan): string[] {
  const lines = [`certkeeper remove ${plan.name} would delete:`];
  for (const p of plan.store) lines.push(`  store: ${p}`);
  if (plan.state) lines.push('  state: its entry (failures, renewal window, deployed files)');
  for (const f of plan.files) lines.push(`  deployed file: ${f}`);
  for (const k of plan.kept) lines.push(`  kept: ${k.path} (${k.why})`);
  if (plan.files.length) lines.push('  The server configuration still naming these files is not changed: remove it there, or the next reload fails.');
  if (plan.elsewhere.length) {
    lines.push(`  Still deployed by ${plan.elsewhere.join(', ')}: they keep serving the files they have, and hold it as removed (no new order) until it leaves their configuration.`);
  }
  return lines;
}
