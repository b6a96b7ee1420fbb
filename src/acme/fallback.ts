import type { CaSettings } from '../config/ca-chain.js';
import { AcmeError } from '../errors.js';
import { stagingFor } from './known-cas.js';

/** Problem types a CA sends about itself (RFC 8555 §6.7): another CA may well succeed. */
const CA_SIDE_PROBLEMS = new Set(['rateLimited', 'serverInternal', 'badNonce']);

/**
 * Whether another CA may succeed where this one failed: the CA could not be reached (refused, reset,
 * timed out, its directory unreachable), answered 5xx, or rate-limited us. A failure every CA would
 * repeat is not: a refused name (rejectedIdentifier, caa, malformed), bad DNS credentials, a record
 * that never propagated, a failed validation, a configuration mistake, a stop. Pure.
 */
export function isCaSideFailure(err: unknown): boolean {
  if (!(err instanceof AcmeError)) return false;
  if (err.unreachable) return true;
  if (err.problem !== undefined) return CA_SIDE_PROBLEMS.has(err.problem);
  return err.status !== undefined && err.status >= 500;
}

/**
 * The CAs a dry run orders from: each one's staging directory; a public CA without staging (ZeroSSL)
 * is left out, as it would issue real certificates. `skipped` names those left out. Pure.
 */
export function dryRunChain(cas: CaSettings[], env: NodeJS.ProcessEnv = process.env): { chain: CaSettings[]; skipped: string[] } {
  const chain: CaSettings[] = [];
  const skipped: string[] = [];
  for (const ca of cas) {
    const staging = stagingFor(ca.directory, env);
    if (staging === null) skipped.push(ca.directory);
    else chain.push({ ...ca, directory: staging });
  }
  return { chain, skipped };
}
