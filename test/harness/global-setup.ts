import type {} from 'vitest';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startPebble, type PebbleInfo } from './pebble.js';

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
