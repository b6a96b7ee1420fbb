import { createRequire } from 'node:module';
import type * as AcmeClient from 'acme-client';
import { attachAxios } from './http.js';

// acme-client's entry point also loads node-forge (865 KB of JavaScript, about a tenth of a second of
// CPU) for its legacy `forge` export, which certkeeper never uses; the parts it does use are taken
// from their own modules (the same module instances the entry point would give).
const require = createRequire(import.meta.url);
export const Client = require('acme-client/src/client.js') as typeof AcmeClient.Client;
export const crypto = require('acme-client/src/crypto/index.js') as typeof AcmeClient.crypto;
export const axios = require('acme-client/src/axios.js') as typeof AcmeClient.axios;
export type Client = AcmeClient.Client;

// The trust, proxy and retry settings configureHttp has collected (and any it gets later).
attachAxios(axios as unknown as { defaults: Record<string, any> });
