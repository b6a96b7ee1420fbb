import type { DnsProvider } from '../dns/provider.js';

/**
 * What a renewal pass reports while it runs. The pass only emits; metrics, health and alerts listen.
 * Listeners must not throw and must not block: `emit` swallows their errors so an observer can never
 * fail or slow a renewal.
 */
export type CertkeeperEvent =
  | { type: 'pass-start'; at: Date; certificates: string[] }
  | { type: 'pass-end'; at: Date; ms: number; renewed: string[]; failed: string[] }
  /** The state of one certificate as the pass found it (before renewing). */
  | { type: 'certificate-state'; at: Date; name: string; domains: string[]; notAfter?: Date; issuedAt?: Date; renewAt?: Date; due: boolean }
  | { type: 'certificate-renewed'; at: Date; name: string; domains: string[]; notAfter: Date; deployed: boolean }
  | {
      type: 'certificate-failed';
      at: Date;
      name: string;
      domains: string[];
      stage: 'issue' | 'deploy';
      /** One line, already free of secrets as far as the pass knows. */
      error: string;
      code?: string;
      /** Expiry of the certificate still in use, if there is one. */
      notAfter?: Date;
    }
  /** An order went to a fallback CA after a CA-side failure at `from` (and any CA before it). */
  | { type: 'ca-fallback'; at: Date; name: string; domains: string[]; from: string; to: string; error: string }
  /**
   * The certificate actually in use, checked after every pass whatever the pass did: the deployed copy
   * (file or served) that expires first, or the stored one when nothing is deployed.
   */
  | { type: 'certificate-in-use'; at: Date; name: string; domains: string[]; notAfter: Date; where: string; reason: string }
  | { type: 'dns-call'; provider: string; operation: 'present' | 'cleanup'; result: 'ok' | 'error' }
  | { type: 'deploy'; target: string; certificates: string[]; result: 'ok' | 'failed'; reload: boolean }
  /** The daemon's next scheduled pass. */
  | { type: 'schedule'; nextCheck: Date }
  /** A store several hosts share cannot be reached (once per outage), or can again. */
  | { type: 'store-unavailable'; at: Date; node: string; where: string; since: Date; reason: string }
  | { type: 'store-available'; at: Date; node: string; where: string; downSince: Date }
  /** A host of the fleet still serves an older version of a certificate, longer than store.behindAlert. */
  | { type: 'host-behind'; at: Date; name: string; domains: string[]; node: string; serial: string; deployedSerial: string | null; since: Date; error: string | null };

export interface Observer {
  emit(event: CertkeeperEvent): void;
}

/** Sends an event to an optional observer; an observer that throws is ignored. */
export function emit(observer: Observer | undefined, event: CertkeeperEvent): void {
  if (!observer) return;
  try {
    observer.emit(event);
  } catch {
    // an observer's bug must never reach the renewal
  }
}

/** One observer that forwards to several. */
export function fanOut(...observers: (Observer | undefined)[]): Observer {
  const list = observers.filter((o): o is Observer => o !== undefined);
  return { emit: (event) => list.forEach((o) => emit(o, event)) };
}

/** Wraps a DNS provider so each present/cleanup call is reported with its outcome. */
export function observeDns(provider: DnsProvider, type: string, observer: Observer | undefined): DnsProvider {
  if (!observer) return provider;
  const call = async (operation: 'present' | 'cleanup', run: () => Promise<void>) => {
    try {
      await run();
      emit(observer, { type: 'dns-call', provider: type, operation, result: 'ok' });
    } catch (err) {
      emit(observer, { type: 'dns-call', provider: type, operation, result: 'error' });
      throw err;
    }
  };
  return {
    name: provider.name,
    hints: provider.hints,
    present: (rec, signal) => call('present', () => provider.present(rec, signal)),
    cleanup: (rec, signal) => call('cleanup', () => provider.cleanup(rec, signal)),
  };
}
