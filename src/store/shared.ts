/**
 * What a store shared by several hosts adds to the Store interface (store.ts): holding a certificate
 * while it is ordered, hearing about versions other hosts stored, and a record of what each host
 * deployed. Only the PostgreSQL store implements it; the pass and the daemon use it when present.
 */
export interface SharedStore {
  /** This host's name in the fleet. */
  readonly node: string;
  /**
   * Holds `name` against the other hosts (a PostgreSQL session advisory lock, freed when this host's
   * connection dies). Answers `busy` with the holder when another host holds it now.
   */
  claim(name: string): Promise<ClaimAnswer>;
  /**
   * Records what this host deployed; with `deploys`, also which certificates it deploys at all
   * (its records of any other certificate are dropped, so it is no longer expected to serve them).
   */
  recordDeploys(records: DeployRecord[], deploys?: string[]): Promise<void>;
  /** Per certificate: the current version and what every host serves. */
  fleet(): Promise<FleetCertificate[]>;
  /** Of `names`, those with a stored version this host has no record of serving (never, or an older one). */
  notServedHere(names: string[]): Promise<string[]>;
  /**
   * Hosts still serving an older version `afterMs` after a new one was stored, each (host, version)
   * returned once across the whole fleet, so exactly one host alerts for it.
   */
  takeBehind(afterMs: number): Promise<BehindHost[]>;
  /** Notes this host as alive, with the schema version it runs (status shows when each host was last seen). */
  seen(): Promise<void>;
  /** Listens for versions stored by any host; see Follower. */
  follow(handlers: FollowHandlers): Follower;
  /** Undefined while the database answers; else since when and why not. */
  readonly unavailable: { since: Date; reason: string } | undefined;
  /** Called on every change between reachable and unreachable. */
  watch(fn: (down: { since: Date; reason: string } | undefined) => void): () => void;
  /** One cheap round trip: resolves when the database answers, throws (one line) when not. */
  ping(): Promise<void>;
}

export type ClaimAnswer = { claim: Claim; tookOverFrom?: string } | { busy: string };

/** A certificate held by this host while it orders it. */
export interface Claim {
  /**
   * Aborted when the hold is lost for good: the connection died and another host has taken the
   * certificate since. Whatever was being done under the claim must stop.
   */
  readonly signal: AbortSignal;
  /** Resolves once the hold is in force again after a lost connection; throws if it is lost for good. */
  ensure(signal: AbortSignal): Promise<void>;
  release(): Promise<void>;
}

export interface DeployRecord {
  name: string;
  serial: string;
  ok: boolean;
  error?: string;
}

export type FleetHostState = 'current' | 'behind' | 'failing';

export interface FleetHost {
  node: string;
  state: FleetHostState;
  /** The serial the host last deployed successfully. */
  serial: string | null;
  deployedAt: string | null;
  /** The last deploy attempt's error, when it failed. */
  error: string | null;
  lastAttempt: string | null;
  lastSeen: string | null;
  /** When the version it lacks was stored (behind or failing). */
  behindSince: string | null;
}

export interface FleetCertificate {
  name: string;
  serial: string;
  storedAt: string;
  storedBy: string;
  hosts: FleetHost[];
}

export interface BehindHost {
  name: string;
  node: string;
  /** The current serial the host does not serve. */
  serial: string;
  deployedSerial: string | null;
  since: Date;
  error: string | null;
}

export interface StoredNotice {
  name: string;
  serial: string;
  /** The host that stored it. */
  node: string;
}

export interface FollowHandlers {
  /** A version was stored (by any host, this one included). */
  stored(notice: StoredNotice): void;
  /** The listening connection is (again) in place: notices sent while it was not were missed. */
  connected(): void;
}

/** A LISTEN connection kept open, reconnecting with backoff. */
export interface Follower {
  /** Resolves once listening, or rejects with a one-line error a person must fix (another running host uses this node name). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}
