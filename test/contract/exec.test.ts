import { parseOptions } from '../../src/config/option-zod.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { descriptor } from '../../providers/exec.js';
import { REPO } from '../harness/cli.js';
import { tempDir, uniqueDomain } from '../harness/scenario.js';
import { providerContract, silentLogger } from './provider-contract.js';

providerContract('exec (a hook that stores one file per value)', async () => {
  const dir = await tempDir('ck-filedns-');
  return {
    zone: uniqueDomain('exec'),
    idnZone: `bücher-${uniqueDomain('exec')}`,
    // exec has no API of its own: the hook decides where a name goes and holds any credentials.
    subZone: { notApplicable: 'the hook picks the zone; certkeeper passes only the name' },
    faults: { notApplicable: 'a failing hook is reported, not retried: the hook talks to its DNS host and retries as it sees fit' },
    authMessage: { notApplicable: 'no credentials: the hook holds them' },
    create: async () =>
      descriptor.create(parseOptions(descriptor.options, { command: ['/bin/sh', join(REPO, 'test/fixtures/file-dns-hook.sh')] }), {
        logger: silentLogger,
        env: { ...process.env, FILE_DNS_DIR: dir },
        baseDir: REPO,
      }),
    values: async (fqdn) => {
      const out: string[] = [];
      for (const f of await readdir(dir)) {
        if (f.endsWith('.tmp')) continue;
        const [name, value] = (await readFile(join(dir, f), 'utf8')).split('\n');
        if (name === fqdn) out.push(value!);
      }
      return out;
    },
    stop: async () => undefined,
  };
});
