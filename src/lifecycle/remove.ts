import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { recoverDeploys } from '../deploy/deployer.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import { FileStore } from '../store/file-store.js';
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
}

/**
 * Plans the removal of a certificate that has left the configuration, from the configured store. A
 * deploy a crash left half done is settled first (recoverDeploys), so no journal that could still
 * restore files is lost. A deployed file another configured certificate writes too is never deleted.
 * With a shared store, a certificate another host still deploys is refused: that host lists it in its
 * configuration, and its next pass would order it again.
 */
export async function planRemoval(config: Config, store: Store, name: string, opts: { files: boolean }, logger: Logger): Promise<RemovalPlan> {
  if (config.certificates.some((c) => c.name === name)) {
    throw new UsageError(said('removeConfigured', name, config.file));
  }
  await recoverDeploys(config.dataDir, logger);
  const state = await store.openState({ logger });
  const entries = await storeEntries(store, name);
  const hasState = state.entries().some(([n]) => n === name);
  if (!entries.length && !hasState) {
    throw new UsageError(said('nothingStored', name, store.where, await store.certs.list()));
  }
  if (store.shared) {
    const me = store.shared.node;
    const others = ((await store.shared.fleet()).find((f) => f.name === name)?.hosts ?? []).map((h) => h.node).filter((n) => n !== me);
    if (others.length) throw new UsageError(said('removeDeployedElsewhere', name, others));
  }
  const inUse = new Map<string, string>();
  for (const c of config.certificates) for (const t of c.targets) for (const f of t.files) inUse.set(f.path, c.name);
  const plan: RemovalPlan = { name, store: entries, state: hasState, files: [], kept: [] };
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

/** Carries out a plan: deployed files, then the store entries, then the state entry. */
export async function removeCertificate(store: Store, plan: RemovalPlan, logger: Logger): Promise<void> {
  for (const f of plan.files) await rm(f, { force: true });
  await store.certs.remove(plan.name);
  if (plan.state) await (await store.openState({ logger })).delete(plan.name);
}

/** The plan as lines for a person. */
export function describePlan(plan: RemovalPlan): string[] {
  const lines = [`certkeeper remove ${plan.name} would delete:`];
  for (const p of plan.store) lines.push(`  store: ${p}`);
  if (plan.state) lines.push('  state: its entry (failures, renewal window, deployed files)');
  for (const f of plan.files) lines.push(`  deployed file: ${f}`);
  for (const k of plan.kept) lines.push(`  kept: ${k.path} (${k.why})`);
  if (plan.files.length) lines.push('  The server configuration still naming these files is not changed: remove it there, or the next reload fails.');
  return lines;
}
