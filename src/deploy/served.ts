import { realpathSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseNginxDump, type NginxServerBlock } from './nginx-dump.js';
import type { ServerOps } from './server.js';
import { planServedProbes, verifyServername, waitForServed, type VerifySpec } from './verify.js';

/** One deployed target, as the served-certificate check sees it. */
export interface ServedTarget {
  id: string;
  /** Every file just written for the target; a server block using any of them is probed. */
  files: string[];
  domains: string[];
  /** An explicit `verify:`: only that address is checked. */
  verify?: VerifySpec;
  expected: { fingerprint256: string; serial: string };
}

export interface ServedResult {
  /** Why the new certificate is not served (a deploy failure), when it is not. */
  error?: string;
  /** What was checked and found serving it: "FILE:LINE ADDRESS SNI", or the verify address. */
  checked: string[];
}

/** The derived check's settings for one server (deploy entry). */
export interface DerivedCheck {
  dump: NonNullable<ServerOps['dump']>;
  /** Connect here instead of each listen's host. */
  host?: string;
  timeoutMs: number;
}

/**
 * After a reload: each target with `verify:` is checked at that address; the others at every server
 * block of the effective configuration (`nginx -T`, read once) whose ssl_certificate is one of their
 * files. Each probe waits, within the time limit, until the new certificate is served. A configuration
 * that cannot be read, or no block using the files, is logged and checks nothing: it says nothing
 * about the deploy itself.
 */
export async function checkServed(targets: ServedTarget[], derived: DerivedCheck | undefined, log: Logger): Promise<ServedResult[]> {
  const needsDump = derived && targets.some((t) => !t.verify);
  const blocks = needsDump ? await readServerBlocks(derived, log) : undefined;
  return Promise.all(
    targets.map(async (t): Promise<ServedResult> => {
      if (t.verify) {
        const sni = verifyServername(t.verify, t.domains);
        const r = await waitForServed(t.verify, sni, t.expected);
        if (!r.ok) return failed(t, log, [r.detail], t.verify.timeout);
        log.info({ target: t.id, address: t.verify.address, sni }, 'new certificate is being served');
        return { checked: [`${t.verify.address} ${sni}`] };
      }
      if (!blocks || !derived) return { checked: [] };
      const plan = planServedProbes(blocks, t.files, { host: derived.host, same: samePath });
      if (!plan.blocks.length) {
        log.warn({ target: t.id, files: t.files, command: derived.dump.label }, 'no server block of the effective configuration uses these files; nothing to check (is ssl_certificate pointing elsewhere?)');
        return { checked: [] };
      }
      const results = await Promise.all(plan.probes.map(async (p) => ({ p, r: await waitForServed({ address: p.address, timeout: derived.timeoutMs }, p.servername, t.expected) })));
      const bad = results.filter((x) => !x.r.ok).map((x) => `server block ${x.p.block}: ${(x.r as { detail: string }).detail}`);
      const checked = plan.probes.map((p) => `${p.block} ${p.address}${p.servername ? ` ${p.servername}` : ''}`);
      if (bad.length) return failed(t, log, bad, derived.timeoutMs, plan.skipped);
      log.info({ target: t.id, blocks: plan.blocks, checked, skipped: plan.skipped.length ? plan.skipped : undefined }, 'new certificate is being served by every server block using it');
      return { checked };
    }),
  );
}

function failed(t: ServedTarget, log: Logger, details: string[], timeoutMs: number, skipped?: string[]): ServedResult {
  log.error({ target: t.id, details, skipped: skipped?.length ? skipped : undefined }, 'served-certificate check failed');
  return { error: `served-certificate check failed: ${details.join('; ')} after ${Math.round(timeoutMs / 1000)}s`, checked: [] };
}

async function readServerBlocks(derived: DerivedCheck, log: Logger): Promise<NginxServerBlock[] | undefined> {
  const r = await derived.dump.run();
  if (r.failed !== undefined) {
    log.warn({ command: derived.dump.label, err: r.failed }, 'served-certificate check skipped: cannot read the effective configuration (nginx -T); set servedCheck.configDump, or verify: on the target');
    return undefined;
  }
  const blocks = parseNginxDump(r.text);
  if (!blocks.length && !r.text.includes('# configuration file ')) {
    log.warn({ command: derived.dump.label }, 'served-certificate check skipped: the command printed no configuration files (is it nginx -T?)');
    return undefined;
  }
  return blocks;
}

/** The same file: same path, or the same file behind symbolic links (a link in the Nginx config to the deployed file). */
function samePath(configured: string, written: string): boolean {
  if (configured === written) return true;
  try {
    return realpathSync(configured) === realpathSync(written);
  } catch {
    return false;
  }
}
