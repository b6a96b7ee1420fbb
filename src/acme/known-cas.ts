import { DIRECTORIES } from '../config/schema.js';
import { sameUrl } from '../config/ca-chain.js';

/** ZeroSSL's API that hands out EAB credentials for an e-mail address (the request acme.sh makes). */
export const ZEROSSL_EAB_URL = 'https://api.zerossl.com/acme/eab-credentials-email';

/**
 * Test-only: CERTKEEPER_TEST_ZEROSSL_DIRECTORY names a directory to treat as ZeroSSL's (a Pebble),
 * CERTKEEPER_TEST_ZEROSSL_EAB_URL the EAB endpoint to ask (a stand-in). Not a supported interface.
 */
function testZeroSsl(env: NodeJS.ProcessEnv): { directory?: string; eabUrl?: string } {
  return { directory: env.CERTKEEPER_TEST_ZEROSSL_DIRECTORY || undefined, eabUrl: env.CERTKEEPER_TEST_ZEROSSL_EAB_URL || undefined };
}

export function isZeroSsl(directory: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return sameUrl(directory, DIRECTORIES.zerossl) || sameUrl(directory, testZeroSsl(env).directory);
}

export function zeroSslEabUrl(env: NodeJS.ProcessEnv = process.env): string {
  return testZeroSsl(env).eabUrl ?? ZEROSSL_EAB_URL;
}

/**
 * Where a dry run orders instead of `directory`: the CA's staging directory; the same directory for
 * a staging or private one (a private CA is a test CA already); null for a public CA without
 * staging (ZeroSSL), where a dry run would issue real certificates.
 */
export function stagingFor(directory: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (sameUrl(directory, DIRECTORIES.letsencrypt)) return DIRECTORIES['letsencrypt-staging']!;
  if (sameUrl(directory, DIRECTORIES.google)) return DIRECTORIES['google-staging']!;
  if (isZeroSsl(directory, env)) return null;
  return directory;
}

/** A short name for logs and status: the known CA's name, else the directory URL's host. */
export function caName(directory: string): string {
  const known = Object.entries(DIRECTORIES).find(([, url]) => sameUrl(url, directory));
  if (known) return known[0];
  try {
    return new URL(directory).host;
  } catch {
    return directory;
  }
}
