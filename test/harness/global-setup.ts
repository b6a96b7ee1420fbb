import type {} from 'vitest';
import { getServers } from 'node:dns';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startPebble, type PebbleInfo } from './pebble.js';
import { GUARD_RESOLVERS_ENV } from './resolver-guard.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pebble: PebbleInfo;
  }
}

/** One Pebble and challenge DNS server for the whole run; tests use distinct names so they can share it. */
export default async function setup(project: TestProject) {
  if (!existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run "npm test" (it builds first) or "npm run build"');
  }
  // Every Node process the tests start (workers included, they start after this) loads the resolver
  // guard, and knows which resolver is the machine's own.
  const guard = fileURLToPath(new URL('../../dist/test/harness/resolver-guard-preload.js', import.meta.url));
  process.env[GUARD_RESOLVERS_ENV] = getServers().join(',');
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--import=${guard}`].filter(Boolean).join(' ');
  const pebble = await startPebble();
  project.provide('pebble', {
    directoryUrl: pebble.directoryUrl,
    caBundle: pebble.caBundle,
    managementUrl: pebble.managementUrl,
    dnsServer: pebble.dnsServer,
    challtestsrvUrl: pebble.challtestsrvUrl,
    dir: pebble.dir,
  });
  return () => pebble.stop();
}
