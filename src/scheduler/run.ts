import type { Logger } from 'pino';
import type { OrderStep } from '../acme/order.js';
import type { ResolvedCertificate } from '../config/load.js';
import { oneLine, type CertkeeperError } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import { humanActionNote } from './backoff.js';
import { decide, type Decided } from './decide.js';
import { deployChanged, recordDeploys, settledInPlace } from './deploy-changed.js';
import type { DueDecision, RenewalPolicy } from './due.js';
import { issueDue } from './issue.js';
import type { PassDeps } from './ports.js';
import type { DeployRecord } from '../store/shared.js';

export type CertificateResult =
  | { name: string; result: 'not-due'; decision: DueDecision }
  | { name: string; result: 'renewed' | 'issued-dry-run'; decision: DueDecision; notAfter: Date; ms: number; deployed: boolean }
  | { name: string; result: 'failed'; decision: DueDecision; error: CertkeeperError | Error; ms: number; stage: 'issue' | 'deploy'; humanAction?: string }
  | { name: string; result: 'redeployed'; decision: DueDecision }
  /** Due, but held by a backoff until `until`; `humanAction` when retrying cannot fix the last failure. */
  | { name: string; result: 'deferred'; decision: DueDecision; until: Date; humanAction?: string };

export type PassStep = OrderStep | 'deployed' | 'failed' | 'skipped';

/** Everything one pass works with: its dependencies, its settings, its clock and its signal. */
export interface PassRun {
  deps: PassDeps;
  policy: RenewalPolicy;
  concurrency: number;
  force: boolean;
  /** Deploy the selected certificates even when the deployed files match the store ("deploy again"). */
  redeploy?: boolean;
  dryRun: boolean;
  now: () => Date;
  random?: () => number;
  logger: Logger;
  signal: AbortSignal;
  observer?: Observer;
  onStep?: (name: string, step: PassStep, detail?: string) => void;
  /** Called with each time at which something should be looked at again (backoff end, window, ARI poll). */
  onWake?: (at: Date) => void;
  /** The pass covers every configured certificate: a shared store may learn which ones this host deploys. */
  everyCertificate?: boolean;
}

/** Per-certificate results as the steps fill them in; each step adds or replaces entries. */
export type Results = Map<string, CertificateResult>;

/**
 * The pass as named steps: decide which certificates are due, issue and store the due ones (a
 * bounded number at once), deploy what changed (one test and reload per server), and return one
 * result per selected certificate, in the configured order.
 */
export async function runPass(run: PassRun, selected: ResolvedCertificate[]): Promise<CertificateResult[]> {
  const results: Results = new Map();
  // Not due with its files in place: settled as soon as it is decided (its stored set is not kept).
  const inPlace: DeployRecord[] = [];
  const settle = async (d: Decided) => {
    const record = await settledInPlace(run, d);
    if (record) {
      inPlace.push(record);
      undueResult(run, results, d);
    }
    return record !== undefined;
  };
  const decided = await decide(run, selected, results, run.dryRun ? undefined : settle);
  const renewed = await issueDue(run, decided.filter((d) => d.decision.due), results);
  for (const d of decided) undueResult(run, results, d);
  // Stopping: what was stored is deployed by the next start (deployed files differ), not now.
  if (!run.dryRun && !run.signal.aborted) {
    const records = inPlace.concat(await deployChanged(run, decided, renewed, results));
    await recordDeploys(run, records, run.everyCertificate ? selected.filter((c) => c.targets.length).map((c) => c.name) : undefined);
  }
  return selected.map((c) => results.get(c.name) ?? { name: c.name, result: 'not-due', decision: decided.find((d) => d.cert === c)?.decision ?? { due: false, reason: 'not reached' } });
}

/** The result of a certificate that is deferred or not due (a due one gets its result from issuing). */
function undueResult(run: PassRun, results: Results, d: Decided): void {
  if (d.deferredUntil) {
    const humanAction = humanActionNote(run.deps.store.state.get(d.cert.name));
    results.set(d.cert.name, { name: d.cert.name, result: 'deferred', decision: d.decision, until: d.deferredUntil, ...(humanAction ? { humanAction } : {}) });
  } else if (!d.decision.due) results.set(d.cert.name, { name: d.cert.name, result: 'not-due', decision: d.decision });
}

/**
 * Records one certificate's failure: its result, the progress line, and the event that alerts. The
 * event's text says when a person must act, so the alert does too.
 */
export function failResult(
  run: Pick<PassRun, 'onStep' | 'now' | 'observer'>,
  results: Results,
  f: { cert: ResolvedCertificate; error: unknown; stage: 'issue' | 'deploy'; ms: number; decision: DueDecision; notAfter?: Date; humanAction?: string },
): void {
  const error = f.error instanceof Error ? f.error : new Error(String(f.error));
  run.onStep?.(f.cert.name, 'failed');
  results.set(f.cert.name, { name: f.cert.name, result: 'failed', decision: f.decision, error, ms: f.ms, stage: f.stage, ...(f.humanAction ? { humanAction: f.humanAction } : {}) });
  const text = f.humanAction ? `${oneLine(error)}; ${f.humanAction}` : oneLine(error);
  emit(run.observer, { type: 'certificate-failed', at: run.now(), name: f.cert.name, domains: f.cert.domains, stage: f.stage, error: text, code: (error as CertkeeperError).code, notAfter: f.notAfter });
}
