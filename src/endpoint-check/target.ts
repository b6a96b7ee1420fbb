import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';

export interface Target {
  host: string;
  port: number;
}

/**
 * HOST, HOST:PORT, [IPv6]:PORT or an https:// URL (its path is ignored). The port defaults to 443;
 * `what` names the argument in error messages.
 */
export function parseTarget(input: string, what = 'HOST[:PORT]'): Target {
  let s = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    if (scheme[1]!.toLowerCase() !== 'https') throw new UsageError(said('notHttps', what, input));
    s = s.slice(scheme[0].length).replace(/[/?#].*$/, '');
  }
  const m = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(s) ?? /^([^:[\]\s/]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new UsageError(said('notHostPort', what, input));
  const port = m[2] === undefined ? 443 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(said('portRange', what, m[2]!));
  return { host: m[1]!.toLowerCase(), port };
}
