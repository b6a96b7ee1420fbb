import type { Logger } from 'pino';
import type { ComponentDescriptor } from '../config/descriptor.js';
import type { OptionSpec, OptionsOf } from '../config/option-spec.js';

/** One TXT value at one name. `fqdn` has no trailing dot: `_acme-challenge.example.com`. */
export interface TxtRecord {
  fqdn: string;
  value: string;
}

/** How long a provider's changes usually take to show up, so the propagation check can adapt. */
export interface PropagationHints {
  /** The provider's `propagationTimeout` (ms) when set: its records' deadline instead of `propagation.timeout`. */
  timeoutMs?: number;
  /** First poll interval (ms); the checker backs off from there. */
  pollIntervalMs: number;
  /** TTL the provider writes (s); the provider minimum unless configured. */
  ttl: number;
}

/**
 * The one interface every DNS provider implements. A provider must remember what it created
 * (record id per name and value) and delete exactly that on cleanup, never every TXT at the name:
 * a wildcard and its apex, or two parallel orders, share `_acme-challenge.<name>`.
 */
export interface DnsProvider {
  readonly name: string;
  present(record: TxtRecord, signal: AbortSignal): Promise<void>;
  /** Removes exactly this value. Removing a value that is already gone succeeds. */
  cleanup(record: TxtRecord, signal: AbortSignal): Promise<void>;
  readonly hints: PropagationHints;
  /** The hosted zone a name would be written to, for providers that look zones up (used by `dns test`). */
  zoneOf?(fqdn: string, signal: AbortSignal): Promise<string>;
}

export type { CredentialField } from '../config/descriptor.js';

export interface ProviderContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Directory of the config file, for resolving relative paths. */
  baseDir: string;
}

/**
 * What a provider file under `providers/` exports as `descriptor`. Loading the file must stay cheap:
 * SDKs are imported inside `create`, so a provider that no certificate uses costs nothing; its options
 * are plain data (option-spec.ts), so a pass checks them without loading zod.
 */
export interface ProviderDescriptor<Options extends OptionSpec = OptionSpec> extends ComponentDescriptor<Options> {
  /** How soon its records are served, for the reference page; `firstPollMs` is also the `hints` value. */
  propagation?: { firstPollMs: number; note?: string };
  create(options: OptionsOf<Options['fields']>, ctx: ProviderContext): DnsProvider | Promise<DnsProvider>;
}
