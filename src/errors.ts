/**
 * The small set of error classes certkeeper raises. Every failure that reaches a user is one of these:
 * a stable `code`, a one-line message that says what is wrong and what to do, and the original cause.
 * Library errors (acme-client, SDKs, fs) are wrapped at the module boundary that called them.
 * A message given as a `Said` (a key of the catalog's error section) is also said in the user's language.
 */
import { english, type Said } from './i18n/errors.js';

export type ErrorCode =
  | 'CONFIG'
  | 'USAGE'
  | 'DNS_PROVIDER'
  | 'DNS_AUTH'
  | 'PROPAGATION'
  | 'ACME'
  | 'ACME_RATE_LIMITED'
  | 'DEPLOY'
  | 'CREDENTIALS'
  | 'STORE'
  | 'STORE_UNAVAILABLE'
  | 'LOCKED'
  | 'ABORTED'
  | 'PASS_PROCESS';

export class CertkeeperError extends Error {
  readonly code: ErrorCode;
  /** Retrying the same operation cannot help (bad credentials, invalid names, refused by policy). */
  readonly noRetry: boolean;
  /** The message as a catalog key, when it has one: the CLI says it in the user's language. */
  readonly said?: Said;

  constructor(code: ErrorCode, message: string | Said, opts: { cause?: unknown; noRetry?: boolean } = {}) {
    super(typeof message === 'string' ? message : english(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.noRetry = opts.noRetry ?? false;
    if (typeof message !== 'string') this.said = message;
  }
}

/** One problem in the configuration, located by its path (`certificates[0].domains[1]`). */
export interface ConfigIssue {
  path: string;
  /** In English, for logs and tests. */
  message: string;
  /** The message as a catalog key, when it has one. */
  said?: Said;
}

/** A config issue whose message comes from the catalog. */
export function configIssue(path: string, said: Said): ConfigIssue {
  return { path, message: english(said), said };
}

export class ConfigError extends CertkeeperError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[] | string | Said, opts: { cause?: unknown } = {}) {
    const list = typeof issues === 'string' ? [{ path: '', message: issues }] : Array.isArray(issues) ? issues : [configIssue('', issues)];
    super('CONFIG', list.map(formatIssue).join('\n'), { ...opts, noRetry: true });
    this.issues = list;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export class UsageError extends CertkeeperError {
  constructor(message: string | Said) {
    super('USAGE', message, { noRetry: true });
  }
}

export class DnsProviderError extends CertkeeperError {
  readonly provider: string;
  constructor(provider: string, message: string, opts: { cause?: unknown; auth?: boolean; noRetry?: boolean } = {}) {
    super(opts.auth ? 'DNS_AUTH' : 'DNS_PROVIDER', `${provider}: ${message}`, {
      cause: opts.cause,
      noRetry: opts.auth || opts.noRetry,
    });
    this.provider = provider;
  }
}

export class PropagationError extends CertkeeperError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('PROPAGATION', message, opts);
  }
}

export class AcmeError extends CertkeeperError {
  /** RFC 8555 problem type without the `urn:ietf:params:acme:error:` prefix, when the CA sent one. */
  readonly problem?: string;
  /** Earliest time a retry makes sense, from the CA's Retry-After. */
  readonly retryAfter?: Date;
  /** HTTP status of the CA's answer, when there was one. */
  readonly status?: number;
  /** No answer at all: connection refused or reset, timeout, TLS failure. */
  readonly unreachable: boolean;
  constructor(message: string, opts: { cause?: unknown; problem?: string; retryAfter?: Date; noRetry?: boolean; status?: number; unreachable?: boolean } = {}) {
    super(opts.problem === 'rateLimited' ? 'ACME_RATE_LIMITED' : 'ACME', message, opts);
    this.problem = opts.problem;
    this.retryAfter = opts.retryAfter;
    this.status = opts.status;
    this.unreachable = opts.unreachable ?? false;
  }
}

export class DeployError extends CertkeeperError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('DEPLOY', message, opts);
  }
}

/**
 * No usable cloud credentials: the instance role is missing or was revoked, the metadata service or
 * STS cannot be reached, or nothing is configured. `transient` marks what a later try may fix
 * (a timeout, a 5xx), so callers retry only that.
 */
export class CredentialsError extends CertkeeperError {
  readonly transient: boolean;
  constructor(message: string, opts: { cause?: unknown; transient?: boolean } = {}) {
    super('CREDENTIALS', message, { cause: opts.cause, noRetry: !opts.transient });
    this.transient = opts.transient ?? false;
  }
}

export class StoreError extends CertkeeperError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('STORE', message, opts);
  }
}

/**
 * The shared store (PostgreSQL) cannot be reached right now. Nothing about the certificate is wrong:
 * the store retries and alerts once for the outage, so this is never a certificate's own alert.
 */
export class StoreUnavailableError extends CertkeeperError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('STORE_UNAVAILABLE', message, opts);
  }
}

export class LockedError extends CertkeeperError {
  constructor(message: string) {
    super('LOCKED', message);
  }
}

export class AbortedError extends CertkeeperError {
  constructor(message = 'operation aborted') {
    super('ABORTED', message, { noRetry: true });
  }
}

/** The daemon's deadline for one pass (renew.passTimeout) passed; what was still waiting is aborted. */
export class PassTimeoutError extends CertkeeperError {
  constructor(message: string) {
    super('ABORTED', message);
  }
}

/** The process running a pass of `certkeeper run` ended without reporting its end (killed, out of memory, crashed). */
export class PassProcessError extends CertkeeperError {
  constructor(message: string) {
    super('PASS_PROCESS', message);
  }
}

/** One line for a user: our own message, or the first line of whatever else was thrown. */
export function oneLine(err: unknown): string {
  if (err instanceof CertkeeperError) return err.message;
  if (err instanceof Error) return (err.message.split('\n')[0] ?? String(err)).trim();
  return String(err);
}
