import Module, { createRequire } from 'node:module';
import type * as AcmeClient from 'acme-client';
import { acmeCrypto } from './keys.js';
import { acmeAxios } from './transport.js';

// acme-client, loaded part by part: its entry point also loads node-forge (865 KB) for a legacy
// export certkeeper never uses. Two of its modules are answered by certkeeper's own before its
// client loads them: its axios instance (transport.ts: Node's HTTP client through the CA's agents;
// axios brought follow-redirects and Node's undici, ~0.15 s of CPU at start and config merging and
// interceptors on every request) and its crypto module (keys.ts: it loads @peculiar/x509 and its
// ASN.1 libraries, ~0.15 s, for a JWK and a PEM body). Its JWS, nonce and account logic stay.
const require = createRequire(import.meta.url);

function provide(id: string, exports: object): void {
  const filename = require.resolve(id);
  const m = new Module(filename);
  m.filename = filename;
  m.exports = exports;
  m.loaded = true;
  require.cache[filename] = m;
}
provide('acme-client/src/axios.js', acmeAxios);
provide('acme-client/src/crypto/index.js', acmeCrypto);

export const Client = require('acme-client/src/client.js') as typeof AcmeClient.Client;
export type Client = AcmeClient.Client;
/** The stand-in for acme-client's crypto module (keys.ts): JWK, PEM body, ECDSA keys. */
export const crypto = acmeCrypto;
