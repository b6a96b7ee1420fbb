import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PebbleInfo } from './pebble.js';
import { REPO } from './cli.js';

export const HOOK = join(REPO, 'test/fixtures/challtestsrv-hook.mjs');
export const RECORD = join(REPO, 'test/fixtures/record-command.mjs');

/** A fresh temp directory for one test. */
export function tempDir(prefix = 'ck-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A name under .test no other test uses, so tests can share one Pebble and DNS server. */
export function uniqueDomain(label = 'site'): string {
  return `${label}-${randomBytes(4).toString('hex')}.test`;
}

/** Config pieces pointing certkeeper at the shared Pebble through the challtestsrv exec hook. */
export function pebbleConfig(pebble: PebbleInfo, dataDir: string): Record<string, unknown> {
  return {
    dataDir,
    acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle, email: 'ops@example.com' },
    dns: { hooks: { type: 'exec', command: [process.execPath, HOOK] } },
    propagation: { resolvers: [pebble.dnsServer], timeout: '30s', interval: '500ms' },
  };
}

export async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'certkeeper.yaml');
  await writeFile(file, stringify(config));
  return file;
}

export function hookEnv(pebble: PebbleInfo): NodeJS.ProcessEnv {
  return { CHALLTESTSRV_URL: pebble.challtestsrvUrl };
}
