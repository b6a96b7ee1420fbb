import { pino, type Logger, type LevelWithSilent } from 'pino';
import { installedSecretFieldNames, redactFields } from './secrets.js';

const CENSOR = '[redacted]';

export interface LogOptions {
  level?: LevelWithSilent;
  /** Human-readable lines (a TTY); otherwise one JSON object per line. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
  /** Field names whose values never reach a log line (normalised); default: from the installed providers (src/secrets.ts). */
  secretFields?: ReadonlySet<string>;
}

/**
 * The logger. Secret fields are hidden at any depth, in the log object, in child bindings and in
 * serialised errors, and `token=...`-style parameters are cut out of every string value.
 */
export async function createLogger(opts: LogOptions = {}): Promise<Logger> {
  const fields = opts.secretFields ?? installedSecretFieldNames();
  const hide = <T>(v: T): T => redactFields(v, fields, CENSOR);
  const base = {
    level: opts.level ?? 'info',
    base: undefined,
    formatters: { log: hide },
    // `err` is often a message string; an Error becomes pino's error object, whose prototype is its
    // own, so a plain copy of it lets its fields be checked too.
    serializers: { err: (e: unknown) => hide(e instanceof Error ? { ...pino.stdSerializers.err(e) } : e) },
  };
  if (opts.pretty) {
    const { default: pretty } = await import('pino-pretty');
    return hideChildBindings(pino(base, pretty({ sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })), hide);
  }
  return hideChildBindings(pino(base, (opts.destination ?? pino.destination({ dest: 1, sync: true })) as never), hide);
}

/**
 * pino writes a child's bindings without any formatter, so they are redacted on the way in. Children
 * are made from their parent by prototype, so every descendant inherits this `child`.
 */
function hideChildBindings(logger: Logger, hide: <T>(v: T) => T): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, hide(bindings), options);
  } as Logger['child'];
  return logger;
}
