import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { configWarnings } from '../../src/scheduler/warnings.js';
import { configDumpCommand } from '../../src/deploy/server.js';
import { REPO } from '../harness/cli.js';

const env = { ALICLOUD_ACCESS_KEY: 'id', ALICLOUD_SECRET_KEY: 'secret', WECOM_KEY: 'k', DINGTALK_TOKEN: 't', DINGTALK_SECRET: 's' };

/** The ```yaml blocks of the `## heading` section, dedented (the Docker steps are list items). */
function yamlBlocks(markdown: string, heading: RegExp): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => heading.test(l));
  expect(start, String(heading)).toBeGreaterThan(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const body = lines.slice(start, end).join('\n');
  return [...body.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```/gm)].map((m) => m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), ''));
}

/**
 * The setups the guides walk through (docs/service.md: systemd service; docs/docker.md: Docker sidecar
 * in both modes), in English and in Chinese, are valid configurations that reload Nginx and have a
 * served-certificate check that can run: `config check` would print no warning for them. The tests
 * that run these modes are test/integration/signal-pid1, deploy-modes (docker through a socket proxy)
 * and served-check (the service's configDump route).
 */
describe.each([
  ['docs/service.md', /^## 2\. Configure/, 'docs/docker.md', /^## Step by step/],
  ['docs/zh-CN/service.md', /^## 2\. 配置/, 'docs/zh-CN/docker.md', /^## 分步说明/],
])('%s and its Docker guide: the documented deploy setups', (serviceFile, service, dockerFile, docker) => {
  const read = (file: string) => readFileSync(join(REPO, file), 'utf8');
  const load = (yaml: string) => parseConfig(yaml, '/etc/certkeeper/certkeeper.yaml', env);

  it('the service configuration reads nginx -T from the file the test unit writes', async () => {
    const [yaml] = yamlBlocks(read(serviceFile), service);
    const config = await load(yaml!);
    expect(configWarnings(config)).toEqual([]);
    expect(configDumpCommand(config.deploy.nginx!)).toEqual(['cat', '/var/lib/certkeeper/nginx-effective.conf']);
    expect(readFileSync(join(REPO, 'config/certkeeper-nginx-test.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/sbin\/nginx -T -q\nStandardOutput=truncate:\/var\/lib\/certkeeper\/nginx-effective\.conf$/m);
  });

  it('the sidecar configuration works in mode 1 (signal, PID 1) and, uncommented, in mode 2 (docker through the proxy)', async () => {
    const [yaml] = yamlBlocks(read(dockerFile), docker);
    const mode1 = await load(yaml!);
    expect(mode1.deploy.nginx).toMatchObject({ mode: 'signal', pid: 1 });
    expect(configWarnings(mode1)).toEqual([]);
    const swapped = yaml!.replace(/^( +)mode: signal\n +pid: 1\n/m, '').replace(/^( +)# (mode: docker|container: |socket: )/gm, '$1$2');
    const mode2 = await load(swapped);
    expect(mode2.deploy.nginx).toMatchObject({ mode: 'docker', container: 'web-nginx-1', socket: 'tcp://docker-proxy:2375' });
    expect(configDumpCommand(mode2.deploy.nginx!)).toEqual(['nginx', '-T']);
    expect(configWarnings(mode2)).toEqual([]);
  });
});

describe('config/docker-compose.example.yml', () => {
  const compose = parse(readFileSync(join(REPO, 'config/docker-compose.example.yml'), 'utf8')) as { services: Record<string, Record<string, any>> };
  const text = readFileSync(join(REPO, 'config/docker-compose.example.yml'), 'utf8');

  it('mode 1 shares the PID namespace, runs as root with KILL; both modes see the certificates where Nginx does', () => {
    const { nginx, certkeeper, 'certkeeper-api': api } = compose.services;
    expect(certkeeper).toMatchObject({ pid: 'service:nginx', user: '0:0', cap_drop: ['ALL'], cap_add: ['KILL', 'DAC_OVERRIDE'] });
    for (const s of [nginx!, certkeeper!, api!]) expect(s.volumes.some((v: string) => /^\.\/certs:\/certs(:ro)?$/.test(v))).toBe(true);
    // The deploy entries its comments give are docs/docker.md's.
    expect(parse(/#\s+nginx: (\{ mode: signal.*\})/.exec(text)![1]!)).toEqual({ mode: 'signal', pid: 1 });
    expect(parse(/#\s+nginx: (\{ mode: docker.*\})/.exec(text)![1]!)).toEqual({ mode: 'docker', container: 'web-nginx-1', socket: 'tcp://docker-proxy:2375' });
  });
});
