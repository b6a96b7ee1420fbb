import type { CertificateFacts } from './x509-facts.js';
import type { ChainShape } from './chain.js';

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];
export const PROFILES = ['wechat', 'browser', 'strict'] as const;
export type Profile = (typeof PROFILES)[number];

export interface VersionProbe {
  version: TlsVersion;
  accepted: boolean;
  cipher?: string;
  /** The key exchange is ephemeral (ECDHE/DHE, or any TLS 1.3 suite). */
  forwardSecret?: boolean;
  error?: string;
}

export interface HttpProbe {
  url: string;
  status?: number;
  location?: string;
  hsts?: string;
  error?: string;
}

/** Everything the network probes found out; the evaluation turns it into findings without I/O. */
export interface EndpointFacts {
  /** The name being checked: SNI, name match and mini-program rules apply to it. */
  host: string;
  /** The port a client would use (from HOST:PORT; 443 by default). */
  port: number;
  /** Where the TCP connection actually went (differs with --connect). */
  address: string;
  connectPort: number;
  protocol: string | null;
  cipher: string;
  authorized: boolean;
  authorizationError?: string;
  chain: CertificateFacts[];
  chainFromWire: boolean;
  trustedIssuer?: CertificateFacts;
  shape: ChainShape;
  versions: VersionProbe[];
  /** Handshake with only the ATS cipher suites (TLS 1.2) or TLS 1.3. */
  ats: { ok: boolean; protocol?: string; cipher?: string; error?: string };
  alpn?: string | false;
  http?: { redirect?: HttpProbe; https?: HttpProbe };
}
