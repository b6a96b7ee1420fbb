/**
 * vitest `setupFiles` entry: installs the resolver guard in the worker and fails any test during which
 * a test name was looked up through the machine's own resolver — by the test itself or by a process
 * it started (they inherit CERTKEEPER_GUARD_LOG and write to it). See resolver-guard.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { GUARD_LOG_ENV, installGuard, takeViolations } from './resolver-guard.js';

installGuard();
const file = (process.env[GUARD_LOG_ENV] ??= join(tmpdir(), `ck-guard-${process.pid}.log`));
let seen = existsSync(file) ? readFileSync(file).length : 0;

/** Violations since the last call, from this process and its children; they no longer fail the test. */
export function consumeGuardViolations(): string[] {
  takeViolations();
  if (!existsSync(file)) return [];
  const all = readFileSync(file);
  const fresh = all.subarray(seen).toString();
  seen = all.length;
  return fresh.split('\n').filter(Boolean);
}

/** Throws when the test just run broke the rule. */
export function checkGuard(): void {
  const v = consumeGuardViolations();
  if (v.length) throw new Error(v.join('\n'));
}

afterEach(checkGuard);
