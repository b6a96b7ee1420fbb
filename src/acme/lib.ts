import type * as AcmeClient from 'acme-client';
import { requirePackage, standIn } from '../package-require.js';
import { createSignedBody } from './jws.js';
import { acmeCrypto } from './keys.js';
import { acmeAxios } from './transport.js';

// acme-client, loaded part by part: its entry point also loads node-forge (865 KB) for a legacy
// export certkeeper never uses. Two of its modules are answered by certkeeper's own before its
// client loads them: its axios instance (transport.ts: Node's HTTP client through the CA's agents;
// axios brought follow-redirects and Node's undici, ~0.15 s of CPU at start and config merging and
// interceptors on every request) and its crypto module (keys.ts: it loads @peculiar/x509 and its
// ASN.1 libraries, ~0.15 s, for a JWK and a PEM body). Three more are never reached on the DNS-01
// path and are answered by stand-ins that throw: its challenge verification (verify.js loads
// node:https and its HTTP modules) and auto mode; its logger (the debug package) is silent. Its
// nonce and account logic stay; its JWS is made by jws.ts (same body, a one-shot signature).
// On Node 20 the command bundles hold the four modules that remain (package-require.ts).
const unused = (what: string) => () => {
  throw new Error(`acme-client's ${what} is not available in certkeeper`);
};
standIn('acme-client/src/axios.js', acmeAxios);
standIn('acme-client/src/crypto/index.js', acmeCrypto);
standIn('acme-client/src/verify.js', { 'http-01': unused('http-01 verification'), 'dns-01': unused('dns-01 verification'), 'tls-alpn-01': unused('tls-alpn-01 verification') });
standIn('acme-client/src/auto.js', unused('auto mode'));
standIn('acme-client/src/logger.js', { log: () => undefined, setLogger: () => undefined });
(requirePackage('acme-client/src/http.js') as { prototype: { createSignedBody: unknown } }).prototype.createSignedBody = createSignedBody;

export const Client = requirePackage('acme-client/src/client.js') as typeof AcmeClient.Client;
export type Client = AcmeClient.Client;
/** The stand-in for acme-client's crypto module (keys.ts): JWK, PEM body, ECDSA keys. */
export const crypto = acmeCrypto;
