import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { PassProcessError } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import { superviseChild, type ChildProcessOptions } from './child-process.js';
import { fromWireError, type FromPass } from './pass-messages.js';
import type { PassStep } from './run.js';

/** Deploys what other hosts stored: these certificates, or every one (after a reconnect). */
export type FollowRunner = (config: Config, names: ReadonlySet<string> | undefined, observer?: Observer) => Promise<void>;

/**
 * A fleet follower's deploys (follow.ts) in a short-lived process of its own, like a pass: the
 * deploy code, its store connection and what a deploy allocates never stay in the daemon, and a
 * crash cannot take the daemon down. One batch per process (one `nginx -t`, one reload per server).
 * Its events (deploys, failures, alerts) reach the daemon's observer as they happen; a process that
 * ends without reporting is a failed deploy for each certificate it had not finished.
 */
export function followInChild(opts: ChildProcessOptions & { logger: Logger; now?: () => Date }): FollowRunner {
  return async (config, names, observer) => {
    const steps = new Map<string, PassStep>();
    const onMessage = (m: FromPass) => {
      if (m.type === 'event') emit(observer, m.event);
      else if (m.type === 'step') steps.set(m.name, m.step);
    };
    const end = await superviseChild(opts, { type: 'follow', names: names && [...names], config }, { logger: opts.logger, onMessage });
    if (end.done) {
      if (end.done.error) throw fromWireError(end.done.error);
      return;
    }
    const line = `the process deploying what other hosts stored (PID ${end.pid}) ${end.how} before it ended; the next pass deploys it`;
    const now = opts.now ?? (() => new Date());
    for (const cert of config.certificates.filter((c) => c.targets.length && (!names || names.has(c.name)) && !steps.has(c.name))) {
      emit(observer, { type: 'certificate-failed', at: now(), name: cert.name, domains: cert.domains, stage: 'deploy', error: line, code: 'PASS_PROCESS' });
    }
    throw new PassProcessError(line);
  };
}
