import type { AriState } from '../acme/ari.js';
import type { OrderStep } from '../acme/order.js';
import type { ResolvedCertificate } from '../config/load.js';
import type { DeployItem, DeployOutcome } from '../deploy/deployer.js';
import type { CertificateMeta, ReadResult, StoredCertificate } from '../store/certs.js';
import type { ClaimAnswer, DeployRecord } from '../store/shared.js';
import type { CertState } from '../store/state.js';

/**
 * What a renewal pass needs from the world, as three small interfaces. The pass (pass.ts and its
 * steps) sees only these, so it runs against fakes in unit tests, and another store (PostgreSQL) or
 * another issuer (several CAs in turn) plugs in by implementing them. wiring.ts builds the real ones.
 */
export interface PassDeps {
  store: PassStore;
  issuer: Issuer;
  deployer: Deployer;
}

/** Issued certificates and per-certificate state (failures, backoff, ARI windows). */
export interface PassStore {
  certs: {
    read(name: string): Promise<ReadResult>;
    save(name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): Promise<StoredCertificate>;
    /** Writes what reading learnt (the file store's facts index), once at the end of the pass. */
    flush?(): Promise<void>;
  };
  state: {
    get(name: string): CertState;
    update(name: string, fn: (s: CertState) => CertState): Promise<CertState>;
  };
  /**
   * Optional, for a store that several hosts share: holds `name` against the other hosts while it is
   * ordered, or answers who holds it. The pass reads the certificate again once it holds it, and
   * orders only if nobody renewed it meanwhile ("lock, check again, then act").
   */
  claim?(name: string): Promise<ClaimAnswer>;
  /**
   * Optional, for a store that several hosts share: what this host deployed (and, with `deploys`,
   * which certificates it deploys at all), for the fleet view.
   */
  recordDeploys?(records: DeployRecord[], deploys?: string[]): Promise<void>;
}

/** The CA and account that would issue a certificate now. */
export interface IssuerIdentity {
  directory: string;
  /** Account URL; null when none is registered yet (the next order registers one); undefined when unknown. */
  account: string | null | undefined;
  /**
   * The certificate's fallback CAs, in order. A certificate one of them issued is as good as one
   * from the first CA (not renewed early); the next renewal still starts with the first.
   */
  also?: { directory: string; account: string | null | undefined }[];
}

/** A certificate a new order may say it replaces (RFC 9773 §5), valid only at this CA and account. */
export interface ReplacesHint {
  certId: string;
  directory: string;
  account: string;
}

export interface IssueRequest {
  cert: ResolvedCertificate;
  /** Reuse this key instead of generating a fresh one. */
  keyPem?: string;
  /** The certificate this one replaces; the issuer sends it only to the CA and account in the hint. */
  replaces?: ReplacesHint;
}

export interface IssuedSet {
  fullchainPem: string;
  keyPem: string;
  orderUrl: string;
  /** The CA and account that issued it. */
  directory: string;
  account: string;
}

/** Orders certificates from a CA (acme/issuer.ts). */
export interface Issuer {
  /** Which CA and account would issue `cert` now, and its fallbacks, from local data only (no network). */
  identity(cert: ResolvedCertificate): Promise<IssuerIdentity>;
  /**
   * The CA's renewal information (RFC 9773) for a stored certificate: its certID when the CA speaks
   * ARI, and the window as it should now be kept (`ari`, only when it changed). `refresh: false`
   * only computes the certID. Never throws for an unreachable CA: renewal information is advice.
   */
  renewalInfo(name: string, stored: StoredCertificate, known: AriState | undefined, opts: { refresh: boolean }): Promise<{ certId?: string; ari?: AriState }>;
  /** `onStep` gets each order step; `presented` repeats with a detail ("1/2" nameservers) while the records propagate. */
  issue(req: IssueRequest, opts: { signal: AbortSignal; onStep?: (step: OrderStep, detail?: string) => void }): Promise<IssuedSet>;
}

/** Puts stored certificates where the servers read them (deploy/deployer.ts). */
export interface Deployer {
  /** Whether every deployed file already holds this stored set. */
  matches(cert: ResolvedCertificate, stored: StoredCertificate): Promise<boolean>;
  deploy(items: DeployItem[]): Promise<DeployOutcome[]>;
  /** Whether deploying to this server (a `deploy:` entry, or "files") reloads it. */
  reloads(server: string): boolean;
  /** Writes what comparing learnt (which deployed files hold which set), once at the end of the pass. */
  flush?(): Promise<void>;
}
