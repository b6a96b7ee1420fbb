/**
 * Test-only crash points. When CERTKEEPER_TEST_CRASH_AT names the step just finished, the process
 * kills itself with SIGKILL (no cleanup, no finally blocks), exactly like a power cut or OOM kill,
 * so tests can prove that every step boundary leaves a recoverable state. Unset in production.
 */
export function crashPoint(name: string): void {
  if (process.env.CERTKEEPER_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/** Every crash point a deploy of `files` files passes, in order (for the kill-between-steps test). */
export function crashPointsFor(files: number): string[] {
  const each = (step: string) => Array.from({ length: files }, (_, i) => `${step}-${i}`);
  return ['after-journal', ...each('after-stage'), ...each('after-prev'), ...each('after-rename'), 'after-renames', 'after-test', 'after-reload', 'after-commit-journal', 'after-commit'];
}

/**
 * Test-only pause points. When CERTKEEPER_TEST_PAUSE_AT names the step just reached, the process
 * stops itself (SIGSTOP) so a test can act at exactly that moment, as a racing attacker would, and
 * then lets it go on with SIGCONT. Unset in production.
 */
export function pausePoint(name: string): void {
  if (process.env.CERTKEEPER_TEST_PAUSE_AT === name) process.kill(process.pid, 'SIGSTOP');
}
