import { pino, type Logger, type LevelWithSilent } from 'pino';

// Keys whose values never reach a log line, at any of the depths where config or errors put them.
const SECRET_KEYS = [
  'accessKeySecret', 'accessKeyId', 'secretKey', 'secretId', 'securityToken', 'sessionToken', 'token',
  'apiToken', 'password', 'secret', 'hmacKey', 'privateKey', 'keyPem', 'authorization', 'Authorization', 'url',
];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LogOptions {
  level?: LevelWithSilent;
  /** Human-readable lines (a TTY); otherwise one JSON object per line. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export async function createLogger(opts: LogOptions = {}): Promise<Logger> {
  const base = {
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
  };
  if (opts.pretty) {
    const { default: pretty } = await import('pino-pretty');
    return pino(base, pretty({ sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino(base, (opts.destination ?? pino.destination({ dest: 1, sync: true })) as never);
}
