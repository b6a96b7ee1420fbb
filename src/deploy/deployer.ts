import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config, ResolvedCertificate } from '../config/load.js';
import { DeployError, oneLine } from '../errors.js';
import type { StoredCertificate } from '../store/certs.js';
import { crashPoint } from '../testing/crash-points.js';
import { runHook, type HookContext } from './hooks.js';
import { SECRET_ROLES, pemContent, type ResolvedTarget } from './layouts.js';
import { dirAccess, resolveOwner } from './owner.js';
import { serverOps, type StepResult } from './server.js';
import { stampOf, type DeployedStamps } from './deployed-stamps.js';
import { FileSetTransaction, inspect, recoverJournals, type PlannedFile } from './transaction.js';
import { checkServed } from './served.js';

export interface DeployItem {
  cert: ResolvedCertificate;
  stored: StoredCertificate;
}

export interface DeployOutcome {
  name: string;
  ok: boolean;
  error?: DeployError;
}

/** One certificate going to one target. */
interface Unit {
  item: DeployItem;
  target: ResolvedTarget;
  hook: HookContext;
  error?: string;
}

export const journalDirFor = (dataDir: string) => join(dataDir, 'deploy-journal');

/** Rolls back (or forward) whatever a crashed deploy left half done. Safe to call at every start. */
export async function recoverDeploys(dataDir: string, logger: Logger): Promise<void> {
  for (const r of await recoverJournals(journalDirFor(dataDir))) {
    logger.warn({ target: r.id, action: r.action }, r.action === 'rolled-back' ? 'an interrupted deploy was rolled back to the previous files' : 'an interrupted deploy was completed');
  }
}

/**
 * Deploys certificates grouped by server: all files of every target of a group are written as one
 * set, the server is tested once and reloaded once (many certificates, one reload), then each
 * `verify` address is checked. A failed test or reload puts the previous set back exactly, so the
 * server keeps running on the old, working files.
 */
export async function deployCertificates(
  items: DeployItem[],
  servers: Config['deploy'],
  logger: Logger,
  opts: { dataDir?: string; onTarget?: (cert: string, target: string, error: string | undefined) => void } = {},
): Promise<DeployOutcome[]> {
  const dataDir = opts.dataDir ?? (items[0] && dirname(dirname(items[0].stored.dir)));
  if (dataDir) await recoverDeploys(dataDir, logger);
  const groups = new Map<string | undefined, Unit[]>();
  for (const item of items) {
    for (const target of item.cert.targets) {
      const hook: HookContext = { certName: item.cert.name, domains: item.cert.domains, targetId: target.id, files: target.files, serial: item.stored.info.serial, notAfter: item.stored.info.notAfter };
      groups.set(target.deploy, [...(groups.get(target.deploy) ?? []), { item, target, hook }]);
    }
  }
  const units: Unit[] = [];
  for (const [serverName, group] of groups) {
    units.push(...group);
    try {
      await deployGroup(group, serverName ? servers[serverName] : undefined, serverName, dataDir ?? '.', logger);
    } catch (err) {
      const message = oneLine(err);
      for (const u of group) u.error ??= message;
    }
  }
  for (const u of units) opts.onTarget?.(u.item.cert.name, u.target.id, u.error);
  return items.map((item) => {
    const failed = units.filter((u) => u.item === item && u.error);
    return failed.length ? { name: item.cert.name, ok: false, error: new DeployError(failed.map((u) => `${u.target.id}: ${u.error}`).join('; ')) } : { name: item.cert.name, ok: true };
  });
}

async function deployGroup(group: Unit[], server: Config['deploy'][string] | undefined, serverName: string | undefined, dataDir: string, logger: Logger): Promise<void> {
  const log = logger.child({ deploy: serverName ?? 'files', certs: [...new Set(group.map((u) => u.item.cert.name))] });
  const planned: PlannedFile[] = [];
  const live: Unit[] = [];
  for (const u of group) {
    try {
      if (u.target.preDeploy) {
        const failed = await runHook(u.target.preDeploy, u.hook, 'pre', u.target.hookTimeout, log, u.target.passEnv);
        if (failed) throw new DeployError(`${failed}; this target was not deployed`);
      }
      const files = await planFiles(u);
      const clash = files.find((f) => planned.some((p) => p.path === f.path));
      if (clash) throw new DeployError(`${clash.path} is also a file of another target deployed with it; give each target its own paths`);
      for (const f of files) await inspect(f); // refuse a symlink before anything of the group is written
      planned.push(...files);
      live.push(u);
    } catch (err) {
      u.error = oneLine(err);
      log.error({ target: u.target.id, err: u.error }, 'target skipped');
    }
  }
  if (!live.length) return;

  const tx = await FileSetTransaction.apply(journalDirFor(dataDir), live.map((u) => u.target.id).join(','), planned);
  log.info({ files: planned.map((f) => f.path) }, 'certificate files written');
  const fail = async (message: string) => {
    for (const u of live) u.error = message;
  };
  const ops = server ? serverOps(server) : {};

  if (ops.test) {
    const r = await ops.test.run();
    crashPoint('after-test');
    if (r.failed) {
      await tx.rollback();
      log.error({ output: r.output }, 'server configuration test failed; previous files restored, server not reloaded');
      return fail(`${ops.test.label} ${r.failed}; the previous files were restored and the server was not reloaded${outputText(r)}`);
    }
    log.info('server configuration test passed');
  }
  if (ops.reload) {
    const r = await ops.reload.run();
    crashPoint('after-reload');
    if (r.failed) {
      await tx.rollback();
      const again = await ops.reload.run();
      log.error({ output: r.output, retryOutput: again.output }, 'reload failed; previous files restored');
      return fail(`${ops.reload.label} ${r.failed}${outputText(r)}; the previous files were restored and ${again.failed ? `reloading them also failed (${again.failed}${outputText(again)})` : 'reloaded'}`);
    }
    log.info({ output: r.output || undefined }, 'server reloaded');
  }

  const served = await checkServed(
    live.map((u) => ({ id: u.target.id, files: u.target.files.map((f) => f.path), domains: u.item.cert.domains, verify: u.target.verify, expected: u.item.stored.info })),
    server && ops.dump && server.servedCheck !== false ? { dump: ops.dump, host: server.servedCheck.host ?? (server.mode === 'docker' ? server.container : undefined), timeoutMs: server.servedCheck.timeout } : undefined,
    log,
  );
  const verifyFailed = live.filter((u, i) => (u.error = served[i]!.error) !== undefined);
  if (verifyFailed.some((u) => u.target.rollbackOnVerifyFailure)) {
    await tx.rollback();
    const again = ops.reload ? await ops.reload.run() : undefined;
    const note = `the previous files were restored${again ? (again.failed ? ` but reloading them failed (${again.failed}${outputText(again)})` : ' and reloaded') : ''}`;
    for (const u of live) u.error = u.error ? `${u.error}; ${note}` : `rolled back with the group because another target's served-certificate check failed; ${note}`;
    log.error('served-certificate check failed; previous files restored');
    return;
  }
  await tx.commit();
  for (const u of live) {
    if (u.error || !u.target.postDeploy) continue;
    const failed = await runHook(u.target.postDeploy, u.hook, 'post', u.target.hookTimeout, log, u.target.passEnv);
    if (failed) u.error = `deployed, but ${failed}`;
  }
}

/** The files of one target with their content, modes and owners. */
async function planFiles(u: Unit): Promise<PlannedFile[]> {
  const t = u.target;
  const { fullchainPem, keyPem } = u.item.stored;
  const ids = await resolveOwner(t.owner, t.group);
  const secretDirs = new Set(t.files.filter((f) => SECRET_ROLES.has(f.role)).map((f) => dirname(f.path)));
  const out: PlannedFile[] = [];
  for (const f of t.files) {
    const secret = SECRET_ROLES.has(f.role);
    // The PKCS#12 code (an ASN.1 stack that takes longer to load than a pass with nothing due) only for pfx.
    const content = f.role === 'pfx' ? await (await import('./pfx.js')).buildPfx(fullchainPem, keyPem, { password: pfxPassword(t), friendlyName: u.item.cert.name, legacy: t.pfxLegacy }) : pemContent(f.role, fullchainPem, keyPem);
    out.push({
      path: f.path,
      content,
      mode: secret ? (t.keyMode ?? 0o600) : (t.certMode ?? 0o644),
      uid: ids.uid,
      gid: ids.gid,
      ...dirAccess(secretDirs.has(dirname(f.path)), ids),
      allowSymlink: t.allowSymlinks,
    });
  }
  return out;
}

function pfxPassword(t: ResolvedTarget): string {
  if (t.password !== undefined) return t.password;
  const v = process.env[t.passwordEnv!];
  if (v === undefined) throw new DeployError(`the pfx password variable ${t.passwordEnv} is not set in the environment`);
  return v;
}

function outputText(r: StepResult): string {
  return r.output ? `: ${r.output}` : '';
}

/**
 * Whether every deployed file of the certificate already holds the stored set (pfx: present). With
 * `stamps`, a file unchanged since it was last found to match is not read again.
 */
export async function deployedMatches(cert: ResolvedCertificate, stored: StoredCertificate, stamps?: DeployedStamps): Promise<boolean> {
  const c = stored.meta.cached;
  const set = c?.keySha256 ? `${c.sha256}:${c.keySha256}` : undefined;
  try {
    for (const t of cert.targets) {
      for (const f of t.files) {
        const st = stamps && set ? statSync(f.path) : undefined;
        if (st && stamps!.holds(f.path, st, set!, f.role)) continue;
        // Synchronous: small files, read once per certificate and pass (see CertificateStore.read).
        const text = readFileSync(f.path, f.role === 'pfx' ? undefined : 'utf8');
        if (f.role !== 'pfx' && text !== pemContent(f.role, stored.fullchainPem, stored.keyPem)) return false;
        // Recorded only if the file did not change while it was read.
        if (st && stampOf(statSync(f.path)) === stampOf(st)) stamps!.record(f.path, st, set!, f.role);
      }
    }
    return true;
  } catch {
    return false;
  }
}
