import type { Config } from '../config/load.js';
import {
  AbortedError,
  AcmeError,
  CertkeeperError,
  ConfigError,
  CredentialsError,
  DeployError,
  DnsProviderError,
  LockedError,
  PassProcessError,
  PassTimeoutError,
  PropagationError,
  StoreError,
  StoreUnavailableError,
  UsageError,
  oneLine,
} from '../errors.js';
import type { CertkeeperEvent } from '../ops/events.js';
import type { CertificateResult, PassStep } from './run.js';

/**
 * What `certkeeper run` and its short-lived processes (a pass, the deploy of what other hosts
 * stored, the configuration's parse) say to each other over the IPC channel (structured clone:
 * Dates and Buffers survive, class instances do not). The pass gets the configuration in force as
 * the plain data daemon-config gave back (what the daemon last loaded, not what the file says now: an
 * edit applies on SIGHUP); its secrets cross the channel, never a command line or a log.
 */

/** The pass to run: a person's action narrows it to one certificate. */
export interface PassRequest {
  only?: string[];
  force?: boolean;
  redeploy?: boolean;
  lockWaitMs?: number;
}

export type ToPass =
  | { type: 'run'; request: PassRequest; config: Config }
  /** With a shared store: deploy what other hosts stored (these certificates, or all of them after a reconnect). */
  | { type: 'follow'; names?: string[]; config: Config }
  /** `stop`: the daemon stops (no in-use check after); `timeout`: renew.passTimeout passed, with its message. */
  | { type: 'abort'; why: 'stop' | 'timeout'; message?: string };

/**
 * An error as it crosses the channel: the class among src/errors.ts's (or none: a plain Error with
 * its one line), and the fields that class carries (code, message, the catalog key, issues, Retry-After…).
 * The cause stays behind: it may hold what a library saw, and the line already says what it means.
 */
export interface WireError {
  kind?: ErrorKind;
  message: string;
  fields?: Record<string, unknown>;
}

export type WireResult = Exclude<CertificateResult, { result: 'failed' }> | (Omit<Extract<CertificateResult, { result: 'failed' }>, 'error'> & { error: WireError });

export type FromPass =
  | { type: 'event'; event: CertkeeperEvent }
  | { type: 'step'; name: string; step: PassStep; detail?: string }
  | { type: 'wake'; at: Date }
  /** A command (hook, nginx -t, reload) started or ended in a process group of its own. */
  | { type: 'group'; pgid: number; live: boolean }
  | { type: 'done'; results?: WireResult[]; error?: WireError };

/** What `daemon-config` answers. */
export type FromConfigProcess = { type: 'config'; config: Config } | { type: 'error'; error: WireError };

const CLASSES = {
  CertkeeperError,
  ConfigError,
  UsageError,
  DnsProviderError,
  PropagationError,
  AcmeError,
  DeployError,
  CredentialsError,
  StoreError,
  StoreUnavailableError,
  LockedError,
  AbortedError,
  PassTimeoutError,
  PassProcessError,
} as const;

export type ErrorKind = keyof typeof CLASSES;

/** Encodes what was thrown for the other side of the channel. */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof CertkeeperError)) return { message: oneLine(err) };
  const kind = kindOf(err);
  // The own enumerable fields: code, noRetry, said, and each class's own (issues, provider, retryAfter…).
  const { name: _name, ...fields } = { ...err } as Record<string, unknown>;
  return { kind, message: err.message, fields };
}

/** The error's own class, or the nearest one it extends (ProfileError crosses as an AcmeError). */
function kindOf(err: CertkeeperError): ErrorKind {
  const kinds = Object.keys(CLASSES) as ErrorKind[];
  for (let p: unknown = Object.getPrototypeOf(err); p; p = Object.getPrototypeOf(p)) {
    const kind = kinds.find((k) => CLASSES[k].prototype === p);
    if (kind) return kind;
  }
  return 'CertkeeperError';
}

/**
 * The error again, of its class, with its code, message and fields. Built without its constructor,
 * since each constructor derives the message and code from its own arguments; what they derived
 * crosses the channel as it was.
 */
export function fromWireError(w: WireError): Error {
  const Class = w.kind ? CLASSES[w.kind] : undefined;
  if (!Class) return new Error(w.message);
  const err = Object.create(Class.prototype as object) as CertkeeperError;
  Object.defineProperty(err, 'message', { value: w.message, writable: true, configurable: true });
  Object.assign(err, { name: w.kind }, w.fields);
  Error.captureStackTrace(err, fromWireError);
  return err;
}
