/** Whether a certificate has anywhere to deploy to: file targets or cloud targets. */
export function hasTargets(cert: { targets: unknown[]; cloudTargets?: unknown[] }): boolean {
  return cert.targets.length > 0 || (cert.cloudTargets?.length ?? 0) > 0;
}
