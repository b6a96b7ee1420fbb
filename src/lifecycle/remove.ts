import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { recoverDeploys } from '../deploy/deployer.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import { CertificateStore } from '../store/certs.js';
import { StateStore } from '../store/state.js';

/** What `certkeeper remove NAME` deletes, listed before anything is. */
export interface RemovalPlan {
  name: string;
  /** Store entries: the current link and the archive of versions. */
  store: string[];
  /** Its entry in state.json (backoff, renewal window, deployed files). */
  state: boolean;
  /** Deployed files that are deleted (with --files). */
  files: string[];
  /** Deployed files left alone, and why. */
  kept: { path: string; why: string }[];
}

/**
 * Plans the removal of a certificate that has left the configuration. A deploy a crash left half
 * done is settled first (recoverDeploys), so no journal that could still restore files is lost. A
 * deployed file another configured certificate writes too is never deleted.
 */
export async function planRemoval(config: Config, name: string, opts: { files: boolean }, logger: Logger): Promise<RemovalPlan> {
  if (config.certificates.some((c) => c.name === name)) {
    throw new UsageError(said('removeConfigured', name, config.file));
  }
  await recoverDeploys(config.dataDir, logger);
  const store = new CertificateStore(config.dataDir);
  const state = await StateStore.open(config.dataDir, logger);
  const entries = store.entries(name).filter((p) => existsSync(p));
  const hasState = state.names().includes(name);
  if (!entries.length && !hasState) {
    const stored = await store.list();
    throw new UsageError(said('nothingStored', name, config.dataDir, stored));
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

/** Carries out a plan: deployed files, then the store entries, then the state entry. */
export async function removeCertificate(config: Config, plan: RemovalPlan, logger: Logger): Promise<void> {
  for (const f of plan.files) await rm(f, { force: true });
  await new CertificateStore(config.dataDir).remove(plan.name);
  if (plan.state) await (await StateStore.open(config.dataDir, logger)).delete(plan.name);
}

/** The plan as lines for a person. */
export function describePlan(plan: RemovalPlan): string[] {
  const lines = [`certkeeper remove ${plan.name} would delete:`];
  for (const p of plan.store) lines.push(`  store: ${p}`);
  if (plan.state) lines.push('  state: its entry in state.json (failures, renewal window, deployed files)');
  for (const f of plan.files) lines.push(`  deployed file: ${f}`);
  for (const k of plan.kept) lines.push(`  kept: ${k.path} (${k.why})`);
  if (plan.files.length) lines.push('  The server configuration still naming these files is not changed: remove it there, or the next reload fails.');
  return lines;
}
