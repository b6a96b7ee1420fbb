import type { CaSettings } from '../config/ca-chain.js';
import { oneLine } from '../errors.js';
import { AcmeError } from '../errors.js';
import { caName, stagingFor } from './known-cas.js';

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

export interface Failed {
  ca: CaSettings;
  error: unknown;
}

/**
 * Orders from each CA in turn until one issues: a CA-side failure moves on to the next CA, any other
 * failure (or a stop) ends the tries. `onFallback` is called once, when a CA after the first issued.
 * When every CA failed, one error names each (typed as the first CA's failure, whose Retry-After
 * then holds the backoff).
 */
export async function orderInTurn<T>(
  name: string,
  chain: CaSettings[],
  order: (ca: CaSettings) => Promise<T>,
  hooks: { signal: AbortSignal; onNext?: (failed: Failed, next: CaSettings) => void; onFallback?: (failed: Failed[], by: CaSettings) => void },
): Promise<T> {
  const failed: Failed[] = [];
  for (const [i, ca] of chain.entries()) {
    try {
      const issued = await order(ca);
      if (failed.length) hooks.onFallback?.(failed, ca);
      return issued;
    } catch (error) {
      const next = chain[i + 1];
      if (!next || hooks.signal.aborted || !isCaSideFailure(error)) throw failed.length ? allFailed(name, [...failed, { ca, error }]) : error;
      failed.push({ ca, error });
      hooks.onNext?.({ ca, error }, next);
    }
  }
  throw new AcmeError(`${name}: no CA to order from`);
}

function allFailed(name: string, failed: Failed[]): AcmeError {
  const first = failed[0]!.error;
  const text = failed.map((f) => `${caName(f.ca.directory)}: ${oneLine(f.error).replace(`${name}: `, '')}`).join('; ');
  const a = first instanceof AcmeError ? first : undefined;
  return new AcmeError(`${name}: every CA failed: ${text}`, { cause: first, problem: a?.problem, retryAfter: a?.retryAfter, status: a?.status, unreachable: a?.unreachable, noRetry: a?.noRetry });
}
