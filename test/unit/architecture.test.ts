import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../harness/cli.js';

// The import rules of ARCHITECTURE.md ("Rules no module breaks"), checked on the sources' import
// statements. A module is named by its path from the repository root without the extension.

interface Import {
  from: string;
  to: string;
  /** `import type …`, or every name imported with `type`: no code of `to` runs. */
  typeOnly: boolean;
}

const STATIC = /^[ \t]*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The imports of one file; package imports are left out, relative ones resolved to module names. */
export function importsOf(file: string, source: string): Import[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(STATIC)) {
    const names = m[2] ?? '';
    const allTyped = /^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type'));
    found.push({ spec: (m[3] ?? m[4])!, typeOnly: Boolean(m[1]) || (names.trim() !== '' && allTyped) });
  }
  for (const m of text.matchAll(DYNAMIC)) found.push({ spec: m[1]!, typeOnly: false });
  const from = file.replace(/\.ts$/, '');
  return found
    .filter((f) => f.spec.startsWith('.'))
    .map((f) => ({ from, to: posix.normalize(posix.join(posix.dirname(file), f.spec)).replace(/\.(js|ts)$/, ''), typeOnly: f.typeOnly }));
}

const inside = (module: string, ...dirs: string[]) => dirs.some((d) => module === d || module.startsWith(`${d}/`));

/** The cloud vendors' keys (instance roles, refresh) and error rules, shared by the DNS providers and the cloud targets. */
const VENDOR = ['src/credentials/aliyun', 'src/credentials/tencent', 'src/cloud/rules', 'src/cloud/messages'];
/** What `providers/` may import from `src/`: the provider interface, the option builders and shapes, cross-cutting modules. */
const FOR_PROVIDERS = ['src/dns/provider', 'src/dns/query', 'src/config/option-spec', 'src/config/patterns', 'src/config/descriptor', 'src/errors', 'src/log', 'src/retry', 'src/secrets', 'src/command', ...VENDOR];
/** The schema or descriptor parts of other components that `src/config` assembles. */
const FOR_CONFIG = ['src/errors', 'src/package-require', 'src/dns/registry', 'src/dns/credentials', 'src/dns/provider', 'src/deploy/layouts', 'src/ops/notify/config', 'src/ops/endpoint-config', 'src/targets/registry', 'src/targets/config', 'src/credentials/files'];
/** The real implementations behind the pass's ports, and the other things only a composition root builds. */
const CONCRETE = ['src/acme/issuer', 'src/deploy/deployer', 'src/store/certs', 'src/store/state', 'src/dns/instances', 'src/ops/notify/notifier'];
const ROOTS = ['src/scheduler/wiring', 'src/scheduler/expiry-check', 'src/ops/operations', 'src/lifecycle', 'src/targets/deployer', 'src/dashboard'];

interface Rule {
  name: string;
  breaks(i: Import): boolean;
}

export const RULES: Rule[] = [
  { name: 'only src/cli imports src/cli', breaks: (i) => inside(i.to, 'src/cli') && !inside(i.from, 'src/cli') },
  {
    name: 'only src/cli, src/dashboard and src/scheduler import src/scheduler (an implementation may import its port as a type)',
    breaks: (i) => inside(i.to, 'src/scheduler') && !inside(i.from, 'src/cli', 'src/dashboard', 'src/scheduler') && !(i.typeOnly && i.to === 'src/scheduler/ports'),
  },
  { name: 'providers import only the provider interface from src/', breaks: (i) => inside(i.from, 'providers') && inside(i.to, 'src') && !FOR_PROVIDERS.includes(i.to) },
  { name: 'src/config imports no flow module', breaks: (i) => inside(i.from, 'src/config') && !inside(i.to, 'src/config', 'src/i18n') && !FOR_CONFIG.includes(i.to) },
  {
    name: 'only src/cli and the composition root build the real issuer, deployer, stores, providers and notifier',
    breaks: (i) => CONCRETE.includes(i.to) && !i.typeOnly && !inside(i.from, 'src/cli', ...ROOTS, dirname(i.to)),
  },
  {
    name: 'the store never calls the CA or reaches up the flow',
    breaks: (i) => inside(i.from, 'src/store') && ((inside(i.to, 'src/acme') && !i.typeOnly) || inside(i.to, 'src/scheduler', 'src/deploy', 'src/ops', 'src/dns', 'src/propagation')),
  },
  { name: 'acme never imports deploy, nor ops beyond the events it emits', breaks: (i) => inside(i.from, 'src/acme') && inside(i.to, 'src/deploy', 'src/ops') && i.to !== 'src/ops/events' },
  { name: 'deploy never imports acme, dns or propagation', breaks: (i) => inside(i.from, 'src/deploy') && inside(i.to, 'src/acme', 'src/dns', 'src/propagation') },
  {
    name: 'cross-cutting modules import from folders only types (and the catalog and the descriptor registry)',
    breaks: (i) => /^src\/[^/]+$/.test(i.from) && /^src\/[^/]+\//.test(i.to) && !i.typeOnly && !inside(i.to, 'src/i18n') && i.to !== 'src/dns/registry' && i.to !== 'src/targets/registry',
  },
  { name: 'src/i18n imports nothing outside itself', breaks: (i) => inside(i.from, 'src/i18n') && !inside(i.to, 'src/i18n') },
  { name: 'src/testing is imported only by src/cli and src/deploy', breaks: (i) => inside(i.to, 'src/testing') && !inside(i.from, 'src/cli', 'src/deploy', 'src/testing') },
  { name: 'shipped code never imports test/', breaks: (i) => inside(i.to, 'test') && !inside(i.from, 'test') },
];

export function violations(imports: Import[]): string[] {
  return imports.flatMap((i) => RULES.filter((r) => r.breaks(i)).map((r) => `${i.from} -> ${i.to}${i.typeOnly ? ' (type)' : ''}: ${r.name}`));
}

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(REPO, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

describe('the import rules of ARCHITECTURE.md', () => {
  const all = ['src', 'providers'].flatMap(sources).flatMap((f) => importsOf(f, readFileSync(join(REPO, f), 'utf8')));

  it('the scan sees the imports, including type-only and dynamic ones', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all).toContainEqual({ from: 'src/scheduler/wiring', to: 'src/acme/issuer', typeOnly: false });
    expect(all).toContainEqual({ from: 'src/acme/issuer', to: 'src/scheduler/ports', typeOnly: true });
    expect(all).toContainEqual({ from: 'src/acme/renewal-info', to: 'src/acme/ari', typeOnly: false }); // await import('./ari.js')
  });

  it('no module of src/ or providers/ breaks one', () => {
    expect(violations(all)).toEqual([]);
  });

  it('each rule catches an import that breaks it', () => {
    const bad: [string, string][] = [
      ['src/ops/evil.ts', "import { runCli } from '../cli/main.js';"],
      ['src/acme/evil.ts', "import { renewPass } from '../scheduler/pass.js';"],
      ['providers/evil.ts', "import type {\n  PassDeps,\n} from '../src/scheduler/ports.js';"],
      ['providers/lib/evil.ts', "const { CertificateStore } = await import('../../src/store/certs.js');"],
      ['src/config/evil.ts', "import { waitForPropagation } from '../propagation/wait.js';"],
      ['src/scheduler/decide.ts', "import { StateStore, type CertState } from '../store/state.js';"],
      ['src/store/evil.ts', "import { fetchRenewalInfo } from '../acme/ari.js';"],
      ['src/acme/evil.ts', "export { Metrics } from '../ops/metrics.js';"],
      ['src/deploy/evil.ts', "import { DnsProviders } from '../dns/instances.js';"],
      ['src/evil.ts', "import './store/atomic.js';"],
      ['src/store/evil.ts', "import { crashPoint } from '../testing/crash-points.js';"],
      ['src/evil.ts', "import { world } from '../test/harness/world/index.js';"],
      ['providers/lib/evil.ts', "import { world } from '../../test/harness/world/index.js';"],
      ['src/i18n/evil.ts', "import type { Config } from '../config/load.js';"],
    ];
    const found = bad.map(([file, source]) => violations(importsOf(file, source)));
    for (const [n, v] of found.entries()) expect(v, bad[n]![1]).not.toEqual([]);
    // Every rule is exercised by at least one of the bad imports.
    const named = new Set(found.flat().map((v) => v.slice(v.indexOf(': ') + 2)));
    expect([...named].sort()).toEqual(RULES.map((r) => r.name).sort());
  });

  it('what the rules allow stays allowed', () => {
    const ok: [string, string][] = [
      ['src/acme/issuer.ts', "import type { Issuer } from '../scheduler/ports.js';"],
      ['src/store/state.ts', "import type { AriState } from '../acme/ari.js';"],
      ['src/scheduler/decide.ts', "import { type ReadResult } from '../store/certs.js';"],
      ['src/secrets.ts', "import type { RawConfig } from './config/schema.js';"],
      ['src/errors.ts', "import { english, type Said } from './i18n/errors.js';"],
      ['src/config/load.ts', "import { said } from '../i18n/errors.js';"],
      ['src/cli/commands/renew.ts', "import { Notifier } from '../../ops/notify/notifier.js';"],
      ['src/acme/issuer.ts', "import { emit } from '../ops/events.js';"],
      ['src/lifecycle/remove.ts', "import { StateStore } from '../store/state.js';"],
      ['providers/alidns.ts', "import { duration } from '../src/config/option-spec.js';\n// import { x } from '../src/scheduler/pass.js';"],
    ];
    for (const [file, source] of ok) expect(violations(importsOf(file, source)), source).toEqual([]);
  });
});

/**
 * Every module `from` loads when it starts: static, non-type imports, followed transitively (dynamic
 * ones load later, or never); with `onDemand`, also every module it may load later.
 */
function staticClosure(from: string, onDemand = false): Set<string> {
  const seen = new Set<string>();
  const walk = (m: string) => {
    if (seen.has(m)) return;
    seen.add(m);
    const file = join(REPO, `${m}.ts`);
    const text = readFileSync(file, 'utf8');
    const source = onDemand ? text : text.replace(/\bimport\(\s*['"][^'"]+['"]\s*\)/g, '');
    for (const i of importsOf(`${m}.ts`, source)) if (!i.typeOnly) walk(i.to);
  };
  walk(from);
  return seen;
}

describe('the daemon stays a small supervisor', () => {
  it('certkeeper run loads nothing a pass needs (acme, deploy, DNS providers, propagation, the shared store) until a pass runs in its own process', () => {
    const loaded = staticClosure('src/cli/commands/run');
    const pass = [...loaded].filter((m) => inside(m, 'src/acme', 'src/propagation', 'src/store/postgres', 'src/scheduler/pass', 'src/scheduler/wiring', 'src/scheduler/fleet-link', 'src/dns/instances', 'src/targets/deployer', 'src/targets/deploy') || (inside(m, 'src/deploy') && !['src/deploy/layouts', 'src/deploy/server', 'src/deploy/docker', 'src/deploy/verify'].includes(m)));
    // The descriptors config validation needs are fine; the flow is not.
    expect(pass.filter((m) => !['src/acme/directory', 'src/acme/renewal-info'].includes(m))).toEqual([]);
    expect(loaded.has('src/scheduler/pass-process')).toBe(true);
  });

  it('certkeeper run parses its configuration in a process of its own: the parser, its schemas (tldts, every target) never load into the daemon', () => {
    const loaded = staticClosure('src/cli/commands/run');
    expect([...loaded].filter((m) => ['src/config/load', 'src/config/schema', 'src/config/names', 'src/targets/config', 'src/targets/registry', 'src/dns/registry'].includes(m))).toEqual([]);
    expect(loaded.has('src/scheduler/config-process')).toBe(true);
    // Nor the packages behind them (zod is loaded on demand only to word a zod issue).
    const packages = /^[ \t]*import\s+(?!type\b)[^;]*?from\s*['"](zod|yaml|tldts)['"]/m;
    expect([...loaded].filter((m) => packages.test(readFileSync(join(REPO, `${m}.ts`), 'utf8')))).toEqual([]);
  });

  it('with a shared store, the daemon loads the fleet link and the store, never the deploy code: a follower deploys what other hosts stored in a process of its own', () => {
    // Everything the link can ever load into the daemon, on demand included.
    const loaded = [...staticClosure('src/scheduler/fleet-link', true), ...staticClosure('src/scheduler/follow-process', true)];
    expect(loaded).toContain('src/store/postgres/listen');
    const deploy = loaded.filter((m) => inside(m, 'src/deploy', 'src/acme', 'src/targets/deployer', 'src/targets/deploy', 'src/dns/instances') || ['src/scheduler/follow', 'src/scheduler/deploy-changed', 'src/scheduler/wiring', 'src/scheduler/pass'].includes(m));
    expect([...new Set(deploy)]).toEqual([]);
    // The child's side does load it: the walk would see it.
    expect(staticClosure('src/scheduler/pass-child')).toContain('src/deploy/deployer');
    expect(staticClosure('src/cli/commands/run')).toContain('src/scheduler/follow-process');
  });
});

describe('a pass with nothing to do loads only what it runs', () => {
  // src/targets/deployer is the deployer of every pass (files and cloud side by side); the cloud half loads on use.
  it('renew --now (the command, its pass and the config loader) loads no cloud target, vendor API client, TLS probe, Docker client, alert sender or CA HTTP client until one is used', () => {
    const loaded = new Set([...staticClosure('src/cli/commands/renew'), ...staticClosure('src/config/load')]);
    const onUse = [...loaded].filter(
      (m) =>
        (inside(m, 'src/targets') && !['src/targets/has-targets', 'src/targets/deployer'].includes(m)) ||
        inside(m, 'src/cloud', 'src/tls', 'src/credentials/aliyun', 'src/credentials/tencent', 'src/credentials/metadata') ||
        // Node's HTTP, HTTPS and TLS modules and the proxy agent load with the first request to a CA.
        ['src/acme/http', 'src/acme/ca-get', 'src/acme/ari', 'src/acme/lib', 'src/acme/account', 'src/acme/session', 'src/acme/order'].includes(m) ||
        ['src/deploy/docker', 'src/ops/notify/notifier', 'src/ops/notify/channels', 'src/ops/notify/email', 'src/ops/notify/messages', 'src/ops/notify/sign'].includes(m),
    );
    expect(onUse).toEqual([]);
    // The walk follows the pass itself, so an empty list means something.
    expect(['src/scheduler/wiring', 'src/targets/deployer', 'src/deploy/deployer', 'src/deploy/verify', 'src/scheduler/expiry-check'].every((m) => loaded.has(m))).toBe(true);
  });

  it("no DNS provider loads zod: a pass checks their options without it (option-spec.ts)", () => {
    const zod = /^[ \t]*import\s+(?!type\b)[^;]*?from\s*['"]zod['"]/m;
    const providers = readdirSync(join(REPO, 'providers')).filter((f) => f.endsWith('.ts') && !f.includes('.test.'));
    expect(providers.length).toBeGreaterThan(5);
    const loaded = new Set(providers.flatMap((f) => [...staticClosure(`providers/${f.slice(0, -3)}`)]));
    expect(loaded.has('src/config/option-spec')).toBe(true);
    expect([...loaded].filter((m) => zod.test(readFileSync(join(REPO, `${m}.ts`), 'utf8')))).toEqual([]);
  });

  it('renew --now and status load no zod schema of the configuration: a configuration of the common shape is checked without it (plain-config.ts)', () => {
    const loaded = new Set(['src/cli/commands/renew', 'src/cli/commands/status', 'src/config/load'].flatMap((m) => [...staticClosure(m)]));
    expect(loaded.has('src/config/plain-config')).toBe(true);
    const zod = /^[ \t]*import\s+(?!type\b)[^;]*?from\s*['"]zod['"]/m;
    expect([...loaded].filter((m) => zod.test(readFileSync(join(REPO, `${m}.ts`), 'utf8')))).toEqual([]);
  });
});
