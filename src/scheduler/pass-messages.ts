import type { CertkeeperEvent } from '../ops/events.js';
import type { CertificateResult, PassStep } from './run.js';

/**
 * What `certkeeper run` and the process running one of its passes say to each other over the IPC
 * channel (structured clone: Dates survive, class instances do not). The pass gets the text of the
 * configuration file in force (the one the daemon last loaded, not what the file says now: an edit
 * applies on SIGHUP) and parses it with the same environment; never a secret on a command line.
 */

/** The pass to run: a person's action narrows it to one certificate. */
export interface PassRequest {
  only?: string[];
  force?: boolean;
  redeploy?: boolean;
  lockWaitMs?: number;
}

export type ToPass =
  | { type: 'run'; request: PassRequest; configText?: string }
  /** `stop`: the daemon stops (no in-use check after); `timeout`: renew.passTimeout passed, with its message. */
  | { type: 'abort'; why: 'stop' | 'timeout'; message?: string };

/** An error as it crosses the channel: its one line and its code. */
export interface WireError {
  message: string;
  code?: string;
}

export type WireResult = Exclude<CertificateResult, { result: 'failed' }> | (Omit<Extract<CertificateResult, { result: 'failed' }>, 'error'> & { error: WireError });

export type FromPass =
  | { type: 'event'; event: CertkeeperEvent }
  | { type: 'step'; name: string; step: PassStep; detail?: string }
  | { type: 'wake'; at: Date }
  | { type: 'done'; results?: WireResult[]; error?: WireError };
