import type { Logger } from 'pino';
import type { ResolvedCertificate } from '../config/load.js';
import { freshOptions } from '../credentials/files.js';
import type { DeployItem } from '../deploy/deployer.js';
import { verifyServername, waitForServed } from '../deploy/verify.js';
import { oneLine } from '../errors.js';
import type { StoredCertificate } from '../store/certs.js';
import type { TargetRecord, TargetRecords } from '../store/targets.js';
import type { ResolvedCloudTarget } from './config.js';
import type { CertificateSet, CloudTarget, CommonTargetOptions, TargetMemory } from './descriptor.js';
import { targetDescriptor } from './registry.js';
import { TargetError } from './steps.js';

/** What one cloud target did with one certificate. */
export interface CloudTargetResult {
  cert: string;
  /** "site#tencentcloud-clb" */
  id: string;
  type: string;
  ok: boolean;
  /** One line: the resource and the vendor's code. */
  error?: string;
  bound: string[];
  changed: boolean;
  /** What happened to earlier uploads: "deleted X", "kept X (still in use)". */
  removed: string[];
}

export interface CloudTargetDeps {
  records: TargetRecords;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
}

/** Certificates whose cloud targets are deployed at once (different load balancers and CDNs do not wait for each other). */
const CONCURRENCY = 4;

/**
 * Deploys certificates to their cloud targets and answers whether they are in place. One instance
 * serves one pass or one `certkeeper deploy`: targets are created (SDK loaded, credentials read, files
 * among them read again) once and reused for the check and the deploy.
 */
export class CloudTargets {
  private readonly made = new Map<string, Promise<CloudTarget>>();

  constructor(private readonly deps: CloudTargetDeps) {}

  private get signal(): AbortSignal {
    return this.deps.signal ?? new AbortController().signal;
  }

  private target(t: ResolvedCloudTarget): Promise<CloudTarget> {
    let p = this.made.get(t.id);
    if (!p) {
      p = (async () => {
        const d = targetDescriptor(t.type);
        if (!d) throw new TargetError(`unknown target type ${t.type}`);
        const fresh = await freshOptions(d.options, t.options, t.fileCredentials);
        if ('error' in fresh) throw new TargetError(fresh.error);
        return d.create(fresh.options, { logger: this.deps.logger.child({ target: t.id }), env: this.deps.env, now: this.deps.now });
      })();
      this.made.set(t.id, p);
    }
    return p;
  }

  /**
   * Whether every cloud target of the certificate serves this stored set: its last deploy succeeded
   * with this serial and these options, and the vendor still shows the binding (read-only calls).
   */
  async inPlace(cert: ResolvedCertificate, stored: StoredCertificate): Promise<boolean> {
    for (const t of cert.cloudTargets ?? []) {
      const r = await this.deps.records.get(cert.name, t.id);
      if (r?.result !== 'ok' || r.serial !== stored.info.serial || r.config !== t.configHash || !r.current) return false;
      if (!(await (await this.target(t)).inPlace({ current: r.current, uploads: r.uploads ?? [] }, this.signal))) {
        this.deps.logger.info({ cert: cert.name, target: t.id }, 'a cloud binding no longer uses the deployed certificate; deploying again');
        return false;
      }
    }
    return true;
  }

  /**
   * Certificates in parallel; the targets of one certificate in their configured order, so one of them
   * deletes an old upload only after the ones before it have moved off it.
   */
  async deploy(items: DeployItem[]): Promise<CloudTargetResult[]> {
    const out: CloudTargetResult[] = [];
    for (let i = 0; i < items.length; i += CONCURRENCY) {
      const batch = items.slice(i, i + CONCURRENCY).map(async (item) => {
        const results: CloudTargetResult[] = [];
        for (const t of item.cert.cloudTargets ?? []) results.push(await this.deployOne(item, t));
        return results;
      });
      out.push(...(await Promise.all(batch)).flat());
    }
    return out;
  }

  private async deployOne(item: DeployItem, t: ResolvedCloudTarget): Promise<CloudTargetResult> {
    const name = item.cert.name;
    const log = this.deps.logger.child({ cert: name, target: t.id });
    const record = await this.deps.records.get(name, t.id);
    const memory: TargetMemory = { current: record?.current, uploads: [...(record?.uploads ?? [])] };
    const serial = item.stored.info.serial;
    const at = () => (this.deps.now?.() ?? new Date()).toISOString();
    const base = { cert: name, id: t.id, type: t.type };
    try {
      const target = await this.target(t);
      const r = await target.deploy(certificateSet(item), memory, this.signal, { configChanged: record?.config !== t.configHash });
      if (t.verify) {
        const served = await waitForServed(t.verify, verifyServername(t.verify, item.cert.domains), item.stored.info);
        if (!served.ok) throw new TargetError(`served-certificate check failed: ${served.detail} after ${Math.round(t.verify.timeout / 1000)}s`);
      }
      const options = t.options as CommonTargetOptions;
      const removed = options.deleteOld ? await this.cleanUp(target, memory, log) : [];
      await this.deps.records.put(name, t.id, { type: t.type, result: 'ok', at: at(), serial, bound: r.bound, config: t.configHash, current: memory.current, uploads: memory.uploads });
      log.info({ bound: r.bound, removed: removed.length ? removed : undefined }, r.changed ? 'cloud target deployed' : 'cloud target already serves this certificate');
      return { ...base, ok: true, bound: r.bound, changed: r.changed, removed };
    } catch (err) {
      const error = oneLine(err);
      log.error({ err: error }, 'cloud target failed');
      // What was uploaded or bound before the failure is remembered, so the next deploy continues from there
      // (and the dashboard still names the places the last good deploy bound).
      const failed: TargetRecord = { type: t.type, result: 'failed', at: at(), serial, error, bound: record?.bound, config: record?.config, current: memory.current, uploads: memory.uploads };
      await this.deps.records.put(name, t.id, failed).catch((e: unknown) => log.error({ err: oneLine(e) }, 'cannot write the target records'));
      return { ...base, ok: false, error, bound: [], changed: false, removed: [] };
    }
  }

  /** Deletes every earlier upload except the one bound now; failures are kept for the next deploy, never fail this one. */
  private async cleanUp(target: CloudTarget, memory: TargetMemory, log: Logger): Promise<string[]> {
    const out: string[] = [];
    for (const u of [...memory.uploads]) {
      if (u.id === memory.current) continue;
      try {
        const r = await target.remove(u, this.signal);
        if (r === 'in-use') {
          out.push(`kept ${u.id} (still in use)`);
          continue;
        }
        memory.uploads = memory.uploads.filter((x) => x !== u);
        out.push(r === 'deleted' ? `deleted ${u.id}` : `${u.id} was already gone`);
      } catch (err) {
        log.warn({ upload: u.id, err: oneLine(err) }, 'cannot delete an earlier upload; trying again at the next deploy');
        out.push(`kept ${u.id} (${oneLine(err)})`);
      }
    }
    return out;
  }
}

function certificateSet(item: DeployItem): CertificateSet {
  const { stored, cert } = item;
  return { name: cert.name, domains: cert.domains, fullchainPem: stored.fullchainPem, keyPem: stored.keyPem, serial: stored.info.serial, fingerprint256: stored.info.fingerprint256, notAfter: stored.info.notAfter };
}
