import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { CertificateStore } from '../../src/store/certs.js';
import { openDeployer } from '../../src/targets/deployer.js';
import type { TencentCloudFake } from './tencent-cloud.js';
import { leafMaker, servedSerial } from './test-certs.js';

/** What one deploy did: each target's [id, ok, error], the serial deployed and the one the CDN edge serves. */
export interface CdnDeploy {
  targets: [string, boolean, string | undefined][];
  serial: string;
  served: string;
}

/**
 * A certificate `site` for cdn.example.com with one tencentcloud-cdn target on the stand-in, in `dir`.
 * `targetLines` are further options of the target (`roleArn: ...`); `configEnv` is what the config is
 * read with. Each deploy() stores a new leaf and deploys it, the targets built with `env`: the
 * credential chain under test sees that environment.
 */
export async function tencentCdnSite(dir: string, cloud: TencentCloudFake, targetLines: string[] = [], configEnv: NodeJS.ProcessEnv = {}): Promise<{ deploy(env: NodeJS.ProcessEnv, tag: string): Promise<CdnDeploy> }> {
  const make = await leafMaker();
  const configFile = join(dir, 'certkeeper.yaml');
  const yaml = [
    `dataDir: ${dir}/data`,
    'dns:',
    '  hooks: { type: exec, command: ["./hook.sh"] }',
    'certificates:',
    '  - name: site',
    '    domains: [cdn.example.com]',
    '    targets:',
    '      - type: tencentcloud-cdn',
    '        domains: [cdn.example.com]',
    ...targetLines.map((l) => `        ${l}`),
    '        retryDelay: 10ms',
    `        endpoints: { ssl: "http://${cloud.endpoints.ssl}", cdn: "http://${cloud.endpoints.cdn}" }`,
    '',
  ].join('\n');
  await writeFile(configFile, yaml);
  const config = await parseConfig(yaml, configFile, configEnv);
  const store = new CertificateStore(config.dataDir);
  return {
    async deploy(env, tag) {
      const pair = await make(['cdn.example.com'], tag);
      await store.save('site', pair.cert, pair.key, { domains: ['cdn.example.com'], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
      const read = await store.read('site');
      if (read.state !== 'ok') throw new Error('not stored');
      const deployer = await openDeployer(config, pino({ level: 'silent' }), { env });
      const [o] = await deployer.deploy([{ cert: config.certificates[0]!, stored: read.cert }]);
      return { targets: o!.targets.map((t) => [t.id, t.ok, t.error]), serial: pair.serial, served: await servedSerial(cloud.cdnPort, 'cdn.example.com') };
    },
  };
}
