import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { crashPointsFor } from '../../src/testing/crash-points.js';
import { demux } from '../../src/deploy/docker.js';
import { layoutFiles, pemContent } from '../../src/deploy/layouts.js';
import { parseAddress, verifyServername } from '../../src/deploy/verify.js';
import { ConfigError } from '../../src/errors.js';

const head = `
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
`;

async function issues(text: string): Promise<string[]> {
  try {
    await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('deploy targets in the configuration', () => {
  it('turns the files: shorthand into an nginx target and resolves layout paths against the config dir', async () => {
    const c = await parseConfig(
      `${head}deploy:\n  web: { test: [nginx, -t], reload: [nginx, -s, reload] }\ncertificates:\n  - name: api\n    domains: ["*.example.com"]\n    files: { cert: ssl/api.crt, key: ssl/api.key }\n    targets:\n      - { layout: bundle, dir: bundle, keyMode: "0640", group: 33 }\n`,
      '/etc/certkeeper/certkeeper.yaml',
      {},
    );
    const [files, bundle] = c.certificates[0]!.targets;
    expect(files).toMatchObject({ id: 'api#files', layout: 'nginx', deploy: 'web', files: [{ role: 'fullchain', path: '/etc/certkeeper/ssl/api.crt' }, { role: 'key', path: '/etc/certkeeper/ssl/api.key' }] });
    expect(bundle).toMatchObject({ id: 'api#0', deploy: 'web', keyMode: 0o640, group: 33, allowSymlinks: false });
    expect(bundle!.files.map((f) => f.path)).toEqual(['/etc/certkeeper/bundle/1_root_bundle.crt', '/etc/certkeeper/bundle/2__.example.com.crt', '/etc/certkeeper/bundle/3__.example.com.key']);
  });

  it('reports each target mistake with its path and what to do', async () => {
    const list = await issues(
      `${head}deploy:\n  a: { mode: signal }\n  b: { mode: docker }\ncertificates:\n  - name: api\n    domains: [api.example.com]\n    targets:\n      - { layout: pfx, dir: /x, deploy: a }\n      - { layout: pem, paths: { pfx: /y }, deploy: zz }\n      - { layout: nginx, dir: /z, keyMode: "999", deploy: a, verify: { address: "nohost" } }\n`,
    );
    expect(list).toEqual([
      "deploy.a.pidFile: signal mode needs pidFile (e.g. /run/nginx.pid) or pid (1 in a sidecar sharing Nginx's PID namespace)",
      'deploy.b.container: docker mode needs container: the Nginx container name',
      'certificates[0].targets[2].keyMode: write an octal mode such as "0640"',
      'certificates[0].targets[2].verify.address: write host:port, e.g. 127.0.0.1:443',
      'certificates[0].targets[1].deploy: no deploy entry named "zz"; defined: a, b',
    ]);
    const later = await issues(`${head}certificates:\n  - name: api\n    domains: [api.example.com]\n    targets:\n      - { layout: pfx, dir: /x }\n      - { layout: pem, paths: { pfx: /y } }\n`);
    expect(later).toContain('certificates[0].targets[0].passwordEnv: a pfx target needs a password: set passwordEnv (an environment variable name) or password: "${VAR}"');
    expect(later).toContain('certificates[0].targets[1].paths.pfx: the pem layout has no "pfx" file; it has: cert, chain, fullchain, key, combined');
    expect(later).toContain('certificates[0].targets[1].dir: give dir (or paths.cert) so the pem layout knows where to write cert.pem');
  });
});

describe('layouts', () => {
  const leaf = '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n';
  const inter = '-----BEGIN CERTIFICATE-----\nINTER\n-----END CERTIFICATE-----\n';
  const key = '-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n';
  it('splits the stored chain into the roles', () => {
    expect(pemContent('cert', leaf + inter, key)).toBe(leaf);
    expect(pemContent('chain', leaf + inter, key)).toBe(inter);
    expect(pemContent('fullchain', leaf + inter, key)).toBe(leaf + inter);
    expect(pemContent('combined', leaf + inter, key)).toBe(leaf + inter + key);
    expect(layoutFiles('bundle', 'n', 'www.example.com')).toEqual({ chain: '1_root_bundle.crt', cert: '2_www.example.com.crt', key: '3_www.example.com.key' });
  });
});

describe('helpers', () => {
  it('demultiplexes the Docker stream by its 8-byte frame headers', () => {
    const frame = (type: number, text: string) => {
      const h = Buffer.alloc(8);
      h[0] = type;
      h.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([h, Buffer.from(text)]);
    };
    const [f1, f2, f3] = [frame(1, 'out1 '), frame(2, 'err'), frame(1, 'out2')];
    expect(demux(Buffer.concat([f1, f2, f3]))).toEqual({ stdout: 'out1 out2', stderr: 'err' });
  });

  it('parses verify addresses and picks an SNI name', () => {
    expect(parseAddress('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseAddress('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(verifyServername({ address: 'x:1', timeout: 1 }, ['*.example.com'])).toBe('certkeeper-check.example.com');
    expect(verifyServername({ address: 'x:1', timeout: 1, servername: 'a.example.com' }, ['*.example.com'])).toBe('a.example.com');
  });

  it('lists every crash point once', () => {
    const points = crashPointsFor(3);
    expect(new Set(points).size).toBe(points.length);
    expect(points).toContain('after-rename-2');
  });
});
