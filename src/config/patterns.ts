/**
 * The shapes of configuration values that the zod schema (zod-schema.ts, fields.ts), the plain
 * checker (plain-config.ts) and the setup wizard all check, kept once. No imports: loading it costs
 * nothing on any path.
 */

/** An environment variable's name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A resolver or nameserver: host, host:port, [v6] or [v6]:port. */
export const RESOLVER_ADDRESS = /^[^\s:]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

/** Where certkeeper listens: host:port or [v6]:port, the host may be empty (every address). */
export const LISTEN_ADDRESS = /^(\[[0-9a-fA-F:]+\]|[^:[\]\s]*):\d{1,5}$/;

/**
 * DoH resolvers reachable from mainland China, tried in order, as the last resort of the propagation
 * check. Public resolvers cache answers, so they only help once the authoritative servers cannot be
 * reached directly; Cloudflare/Google DoH are often blocked there and are not defaults.
 */
export const DEFAULT_DOH = ['https://dns.alidns.com/dns-query', 'https://doh.pub/dns-query'];
