import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { requireBuild } from './build-check.js';
import { guardChildProcesses } from './guard-children.js';
import { startPebble, type PebbleInfo } from './pebble.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pebble: PebbleInfo;
  }
}

/**
 * One Pebble and challenge DNS server for the e2e project (every test outside test/unit); tests use
 * distinct names so they can share it. Unit tests do not get it (vitest.config.ts).
 */
export default async function setup(project: TestProject) {
  requireBuild();
  guardChildProcesses();
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
