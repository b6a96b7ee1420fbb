import type { ResolvedCertificate } from '../config/load.js';
import { emit } from '../ops/events.js';
import type { CertificateResult, PassRun } from './run.js';

/** Step 5: one log line with the counts, a renewed event per certificate, and the pass-end event. */
export function reportPass(run: PassRun, selected: ResolvedCertificate[], results: CertificateResult[], ms: number): void {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.result] = (counts[r.result] ?? 0) + 1;
  run.logger.info({ ...counts, ms }, 'pass finished');
  for (const r of results) {
    if (r.result !== 'renewed') continue;
    const domains = selected.find((c) => c.name === r.name)!.domains;
    emit(run.observer, { type: 'certificate-renewed', at: run.now(), name: r.name, domains, notAfter: r.notAfter, deployed: r.deployed });
  }
  const names = (k: CertificateResult['result']) => results.filter((r) => r.result === k).map((r) => r.name);
  emit(run.observer, { type: 'pass-end', at: run.now(), ms, renewed: names('renewed'), failed: names('failed') });
}
