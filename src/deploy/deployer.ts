import type { Logger } from 'pino';
import { describeExit, runCommand } from '../command.js';
import type { Config, ResolvedCertificate } from '../config/load.js';
import { DeployError, oneLine } from '../errors.js';
import type { StoredCertificate } from '../store/certs.js';
import { restoreFiles, snapshot, writeFiles, type FileSpec } from './files.js';

export interface DeployItem {
  cert: ResolvedCertificate;
  stored: StoredCertificate;
}

export interface DeployOutcome {
  name: string;
  ok: boolean;
  error?: DeployError;
}

type DeployTarget = Config['deploy'][string];

/**
 * Deploys certificates grouped by server: writes all files of a group, runs the server's test once,
 * then reloads once (many certificates, one reload). A failed test or reload puts every file of the
 * group back as it was, so the server keeps running on the old, working set.
 */
export async function deployCertificates(items: DeployItem[], targets: Config['deploy'], logger: Logger): Promise<DeployOutcome[]> {
  const groups = new Map<string | undefined, DeployItem[]>();
  for (const item of items.filter((i) => i.cert.files)) {
    groups.set(item.cert.deploy, [...(groups.get(item.cert.deploy) ?? []), item]);
  }
  const outcomes: DeployOutcome[] = [];
  for (const [targetName, group] of groups) {
    const target = targetName ? targets[targetName] : undefined;
    try {
      await deployGroup(group, target, targetName, logger);
      outcomes.push(...group.map((i) => ({ name: i.cert.name, ok: true })));
    } catch (err) {
      const error = err instanceof DeployError ? err : new DeployError(oneLine(err), { cause: err });
      outcomes.push(...group.map((i) => ({ name: i.cert.name, ok: false, error })));
    }
  }
  return outcomes;
}

export function filesFor(item: DeployItem): FileSpec[] {
  const files = item.cert.files!;
  return [
    { path: files.cert, content: item.stored.fullchainPem, mode: 0o644 },
    { path: files.key, content: item.stored.keyPem, mode: 0o600 },
  ];
}

async function deployGroup(group: DeployItem[], target: DeployTarget | undefined, targetName: string | undefined, logger: Logger): Promise<void> {
  const log = logger.child({ deploy: targetName ?? 'files', certs: group.map((g) => g.cert.name) });
  const files = group.flatMap(filesFor);
  const previous = await snapshot(files.map((f) => f.path));
  try {
    await writeFiles(files, previous);
  } catch (err) {
    await restoreFiles(previous).catch(() => undefined);
    throw new DeployError(`writing ${files.map((f) => f.path).join(', ')} failed: ${(err as Error).message}`, { cause: err });
  }
  log.info({ files: files.map((f) => f.path) }, 'certificate files written');
  if (!target) return;

  if (target.test) {
    const r = await run(target.test, target.timeout);
    if (r.failed) {
      await restoreFiles(previous);
      log.error({ output: r.output }, 'server configuration test failed; previous files restored, server not reloaded');
      throw new DeployError(`test command ${programOf(target.test)} ${r.failed}; the previous files were restored and the server was not reloaded${r.output ? `: ${r.output}` : ''}`);
    }
    log.info('server configuration test passed');
  }
  if (target.reload) {
    const r = await run(target.reload, target.timeout);
    if (r.failed) {
      await restoreFiles(previous);
      const again = await run(target.reload, target.timeout);
      log.error({ output: r.output, retryOutput: again.output }, 'reload failed; previous files restored');
      throw new DeployError(
        `reload command ${programOf(target.reload)} ${r.failed}${r.output ? `: ${r.output}` : ''}; the previous files were restored and ${again.failed ? `reloading them also failed (${again.failed}${again.output ? `: ${again.output}` : ''})` : 'reloaded'}`,
      );
    }
    log.info('server reloaded');
  }
}

async function run(argv: string[], timeoutMs: number): Promise<{ failed?: string; output: string }> {
  try {
    const r = await runCommand(argv, { timeoutMs });
    return { failed: r.code === 0 ? undefined : describeExit(r, timeoutMs), output: r.output.replace(/\s*\n\s*/g, ' | ') };
  } catch (err) {
    return { failed: (err as Error).message, output: '' };
  }
}

/** Only the program, never its arguments: those can carry tokens interpolated from the environment. */
function programOf(argv: string[]): string {
  return argv[0]!;
}
