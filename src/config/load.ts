import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, configIssue, type ConfigIssue } from '../errors.js';
import { english, said, type Said } from '../i18n/errors.js';
import type { FileCredentials } from '../credentials/files.js';
import { resolveCredentials } from '../dns/credentials.js';
import { loadDescriptor, providerTypes } from '../dns/registry.js';
import { resolveTarget, type ResolvedTarget } from '../deploy/layouts.js';
import { interpolateEnv } from './interpolate.js';
import { yamlSyntaxIssue } from './yaml-error.js';
import { readPlainYaml } from './yaml-read.js';
import { certificatesBlock, readCachedCertificates, writeCachedCertificates, type CertificatesBlock } from './certificates-cache.js';
import { publicDnsProblem } from './names.js';
import { readSuffixCache, writeSuffixCache } from './suffix-cache.js';
import type { ResolvedCloudTarget } from '../targets/config.js';
import { crossCheck, isCloudTarget, type CertificateConfig, type RawConfig } from './schema.js';
import { plainCertificate } from './plain-certificate.js';
import { plainFrame } from './plain-config.js';
import { plainOptions, type OptionSpec } from './option-spec.js';
import { filesTarget } from './files-target.js';
import { nodeOf, resolveStore, type StoreConfig } from './store-config.js';
import { caChain, type CaSettings } from './ca-chain.js';

export interface DnsInstance {
  type: string;
  /** Validated provider options, credentials filled in from env. */
  options: Record<string, unknown>;
  /** The option keys that are credentials (from the provider's descriptor): their values are scrubbed from alerts. */
  credentialKeys: string[];
  /** Set when credentials came from files: they are read again whenever the provider is created (each pass). */
  fileCredentials?: FileCredentials;
}

export type ResolvedCertificate = Omit<CertificateConfig, 'targets' | 'acme'> & {
  dns: string | Record<string, string>;
  deploy?: string;
  /** File targets (a layout in a directory). */
  targets: ResolvedTarget[];
  /** Cloud targets (src/targets/); always set by the loader, optional for hand-built configurations. */
  cloudTargets?: ResolvedCloudTarget[];
  /** The CAs this certificate is ordered from, in order (src/config/ca-chain.ts); at least one. */
  cas: CaSettings[];
};

export interface Config extends Omit<RawConfig, 'dns' | 'certificates' | 'store' | 'node'> {
  file: string;
  baseDir: string;
  dns: Record<string, DnsInstance>;
  certificates: ResolvedCertificate[];
  store: StoreConfig;
  /** This host's name in the fleet (`node:`, else the hostname). */
  node: string;
}

// Where the file is, for the commands and the daemon (which never loads this module).
export { findConfigFile } from './find.js';

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(said('cannotRead', file, code === 'ENOENT' ? undefined : code));
  }
  return parseConfig(text, file, env);
}

export async function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const baseDir = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  // A large certificates: block is read from the cache when this very block was checked before.
  const split = certificatesBlock(text);
  const cfg = (split && (await fromCache(split, env, at))) ?? (await checkedText(text, file, env, split, at));
  const issues: ConfigIssue[] = [];

  const dns: Record<string, DnsInstance> = {};
  for (const [name, entry] of Object.entries(cfg.dns)) {
    const { type, ...rest } = entry;
    const descriptor = await loadDescriptor(type);
    if (!descriptor) {
      issues.push(configIssue(`dns.${name}.type`, said('unknownProvider', type, providerTypes())));
      continue;
    }
    const files: Record<string, string> = {};
    const withCreds = resolveCredentials(descriptor.credentials, rest, env, baseDir, `dns.${name}`, issues, files);
    // Valid options of the common kind are checked without zod; anything else, and every problem, by zod.
    const options = plainOptions(descriptor.options, withCreds) ?? (await zodCheckedOptions(descriptor.options, withCreds, `dns.${name}`, issues));
    if (!options) continue;
    dns[name] = {
      type,
      options,
      credentialKeys: descriptor.credentials.map((c) => c.key),
      ...(Object.keys(files).length ? { fileCredentials: { raw: withCreds, files } } : {}),
    };
  }
  if (issues.length) throw new ConfigError(issues);

  const onlyDns = Object.keys(cfg.dns).length === 1 ? Object.keys(cfg.dns)[0] : undefined;
  const onlyDeploy = Object.keys(cfg.deploy).length === 1 ? Object.keys(cfg.deploy)[0] : undefined;
  // Every certificate's deploy places become targets; the `files: {cert, key}` shorthand is the nginx layout.
  const targets = cfg.certificates.map((c, i) => {
    const list: ResolvedTarget[] = [];
    c.targets.forEach((t, j) => {
      if (!isCloudTarget(t)) list.push(resolveTarget({ ...t, deploy: t.deploy ?? c.deploy ?? onlyDeploy }, c, j, baseDir, `certificates[${i}].targets[${j}]`, issues));
    });
    if (c.files) list.unshift(filesTarget(c, c.files, c.deploy ?? onlyDeploy, list.length, i, baseDir, issues));
    return list;
  });
  // Entries with a type: are cloud targets (load balancers, CDNs), checked against their descriptors.
  // Their descriptors (and the vendor code they import) load only when some certificate has one.
  const resolveCloudTargets = cfg.certificates.some((c) => c.targets.some(isCloudTarget)) ? (await import('../targets/config.js')).resolveCloudTargets : () => [];
  const clouds = cfg.certificates.map((c, i) =>
    c.targets.length === 0
      ? []
      : resolveCloudTargets(
          c.targets.flatMap((entry, index) => (isCloudTarget(entry) ? [{ entry, index }] : [])),
          c,
          `certificates[${i}]`,
          { env, baseDir, zodIssues },
          issues,
        ),
  );
  const store = resolveStore(cfg.store, baseDir, issues);
  if (issues.length) throw new ConfigError(issues);
  const node = nodeOf(cfg.node);
  const withBundle = <T extends { caBundle?: string }>(e: T): T => ({ ...e, caBundle: e.caBundle === undefined ? undefined : at(e.caBundle) });
  const acmeBlock = { ...withBundle(cfg.acme), fallback: cfg.acme.fallback.map(withBundle) };
  // One chain for every certificate without acme: of its own (read only, like the rest of the configuration).
  const blockCas = caChain(acmeBlock);
  return {
    ...cfg,
    store,
    node,
    file: resolve(file),
    baseDir,
    dataDir: at(cfg.dataDir),
    acme: acmeBlock,
    dns,
    certificates: cfg.certificates.map((entry, i) => {
      const { acme } = entry;
      // Most entries have no acme: of their own: copied by a spread, faster than a rest pattern.
      const c = 'acme' in entry ? withoutAcme(entry) : entry;
      const here = !c.nodes || c.nodes.includes(node);
      // Object.assign, not a spread with more keys after it: the same object, made many times faster in V8.
      return Object.assign({}, c, {
        cas: acme ? caChain(acmeBlock, { ...withBundle(acme), fallback: acme.fallback?.map(withBundle) }) : blockCas,
        // A certificate meant for other hosts is kept in the store here, never deployed.
        targets: here ? targets[i]! : [],
        cloudTargets: here ? clouds[i]! : [],
        dns: c.dns ?? onlyDns!,
        deploy: c.files ? (c.deploy ?? onlyDeploy) : c.deploy,
        files: c.files && { cert: at(c.files.cert), key: at(c.files.key) },
      });
    }),
  };
}

const withoutAcme = ({ acme: _acme, ...c }: CertificateConfig): Omit<CertificateConfig, 'acme'> => c;

/**
 * For a schema that checks one object: zod's JIT writes and compiles a function per object schema on
 * its first parse, which costs more than the few objects of a configuration take to check without it.
 * Same results either way.
 */
const ONCE = { jitless: true } as const;
/** From this many certificate entries on, the full parse lets zod compile its object checks. */
const MANY_ENTRIES = 32;

/** The configuration text read and checked in full (and its certificates kept for the next run when they may be). */
async function checkedText(text: string, file: string, env: NodeJS.ProcessEnv, split: CertificatesBlock | undefined, at: (p: string) => string): Promise<RawConfig> {
  const fast = readPlainYaml(text);
  const raw = (fast ? fast.value : await parseYaml(text, file)) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(said('notMapping', file));
  }
  const issues: ConfigIssue[] = [];
  // A large certificates: block without `$` in its text, read by the fast reader (which takes no
  // escapes), has nothing to interpolate: only the rest is walked.
  const interpolated = fast && split ? interpolateAround(raw as Record<string, unknown>, env, issues) : interpolateEnv(raw, env, issues);
  if (issues.length) throw new ConfigError(issues);
  // A small configuration's names were most likely checked before: their public suffixes are kept.
  const dataDir = (interpolated as { dataDir?: unknown }).dataDir ?? './data';
  const suffixes = !split && typeof dataDir === 'string';
  if (suffixes) readSuffixCache(at(dataDir));
  const plain = await checkedPlain(interpolated as Record<string, unknown>);
  // The block was read by the fast reader, and every entry is plain: the cache may keep them.
  if (plain && fast && split) {
    const notPublic = plain.certificates.flatMap((c) => c.domains.filter((d) => publicDnsProblem(d) !== undefined));
    writeCachedCertificates(at(plain.dataDir), split.block, { certificates: plain.certificates, notPublic });
  }
  const cfg = plain ?? (await checked(interpolated));
  if (suffixes) writeSuffixCache(at(cfg.dataDir));
  return cfg;
}

function interpolateAround(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): Record<string, unknown> {
  const { certificates, ...rest } = raw;
  const out = interpolateEnv(rest, env, issues);
  return out === rest ? raw : { ...(out as Record<string, unknown>), certificates };
}

/**
 * The configuration with its certificates from the cache: the text around the block read and checked
 * now, the cached entries put in its place and checked against it (crossCheck). Undefined for anything
 * else, when checkedText reads it all and words any problem as it always did.
 */
async function fromCache(split: CertificatesBlock, env: NodeJS.ProcessEnv, at: (p: string) => string): Promise<RawConfig | undefined> {
  const fast = readPlainYaml(split.rest);
  const raw = fast?.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || 'certificates' in raw) return undefined;
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, env, issues) as Record<string, unknown>;
  if (issues.length) return undefined;
  const frame = await checkedFrame(interpolated);
  if (!frame) return undefined;
  const cached = readCachedCertificates(at(frame.dataDir), split.block);
  if (!cached) return undefined;
  // Whether a name is in public DNS depends on the name alone: the cache knows the few that are not.
  const notPublic = new Set(cached.notPublic);
  return crossChecked(frame, cached.certificates, (d) => (notPublic.has(d) ? publicDnsProblem(d) : undefined));
}

async function checked(raw: unknown): Promise<RawConfig> {
  // reportInput tells a missing key from a wrong type; zod's compiled object checks pay only for many entries.
  const entries = (raw as { certificates?: unknown } | null)?.certificates;
  const many = Array.isArray(entries) && entries.length >= MANY_ENTRIES;
  const { configSchema } = await zodSchema();
  const parsed = configSchema.safeParse(raw, { reportInput: true, jitless: !many });
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error));
  return parsed.data;
}

/**
 * The fast path, for a valid configuration whose certificate entries are all plain: the entries
 * checked by plainCertificate, the rest by plainFrame (else zod), then the same cross-entry checks.
 * Undefined when anything is off: then configSchema checks it all and words the issues, as it always did.
 */
async function checkedPlain(raw: Record<string, unknown>): Promise<RawConfig | undefined> {
  const entries = raw.certificates ?? [];
  if (!Array.isArray(entries)) return undefined;
  const certificates: CertificateConfig[] = [];
  for (const e of entries) {
    const c = plainCertificate(e);
    if (!c) return undefined;
    certificates.push(c);
  }
  const frame = await checkedFrame(raw);
  return frame ? crossChecked(frame, certificates) : undefined;
}

/** A provider's options checked by zod (option-zod.ts, loaded here): their data, or undefined with the problems added. */
async function zodCheckedOptions(spec: OptionSpec, raw: Record<string, unknown>, prefix: string, issues: ConfigIssue[]): Promise<Record<string, unknown> | undefined> {
  const { zodOptions } = await import('./option-zod.js');
  const opts = zodOptions(spec).safeParse(raw, { reportInput: true, jitless: true });
  if (opts.success) return opts.data as Record<string, unknown>;
  // A missing credential was already reported with the variables that supply it.
  const known = new Set(issues.map((i) => i.path));
  issues.push(...zodIssues(opts.error, prefix).filter((i) => !known.has(i.path)));
  return undefined;
}

/** The zod schema, loaded when a configuration is not of the common shape (or to word its problems). */
const zodSchema = () => import('./zod-schema.js');

/** The configuration around its certificate entries, checked: without zod when it can be (plain-config.ts). */
async function checkedFrame(raw: Record<string, unknown>): Promise<RawConfig | undefined> {
  const plain = plainFrame(raw);
  if (plain) return plain;
  const frame = (await zodSchema()).configFrame.safeParse({ ...raw, certificates: [] }, ONCE);
  return frame.success ? frame.data : undefined;
}

/** The frame with these (checked) certificate entries, when the entries agree with it; else undefined. */
function crossChecked(frame: RawConfig, certificates: CertificateConfig[], dnsProblem = publicDnsProblem): RawConfig | undefined {
  const cfg = { ...frame, certificates };
  let ok = true;
  crossCheck(cfg, () => (ok = false), dnsProblem);
  return ok ? cfg : undefined;
}

/** `yaml`'s full parse: for what the fast reader leaves (aliases), and for the positioned error of bad input. */
async function parseYaml(text: string, file: string): Promise<unknown> {
  // yaml is CommonJS: its exports are the default export of an import() (in the bundle too).
  const { parseDocument } = (await import('yaml')).default;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError([yamlSyntaxIssue(text, file, doc.errors[0]!)]);
  try {
    const raw = doc.toJS({ maxAliasCount: 1000 });
    if (hasCycle(raw)) throw new RangeError('cycle');
    return raw;
  } catch (err) {
    // A self-referencing alias (`k: &a [*a]`) or an alias bomb: report it, never a stack overflow.
    const why = err instanceof RangeError ? undefined : (err as Error).message.split('\n')[0];
    throw new ConfigError(said('yamlUnreadable', file, why));
  }
}

export function zodIssues(error: z.ZodError, prefix = ''): ConfigIssue[] {
  return error.issues.flatMap((i) => issuesOf(i, prefix));
}

function issuesOf(i: z.core.$ZodIssue, prefix: string): ConfigIssue[] {
  const path = joinPath(prefix, i.path);
  // A value matching no alternative (a deploy target: files or a cloud type): report the problems of
  // the alternative it was meant as, the one whose complaints are not only about a missing `type`.
  if (i.code === 'invalid_union' && i.errors.length) {
    const meant = i.errors.find((b) => !b.every((x) => x.path[0] === 'type')) ?? i.errors[0]!;
    return meant.flatMap((x) => issuesOf(x, path));
  }
  // An unknown top-level key has no path of its own; name it, so every line says where to look.
  if (i.code === 'unrecognized_keys' && path === '') return i.keys.map((k) => configIssue(joinPath('', [k]), said('unknownKey')));
  return [configIssue(path, describeIssue(i))];
}

function joinPath(prefix: string, path: PropertyKey[]): string {
  let out = prefix;
  for (const p of path) {
    // A key with spaces, dots or nothing in it is quoted, so the path still reads as one token.
    if (typeof p === 'number') out += `[${p}]`;
    else if (!/^[A-Za-z0-9_$-]+$/.test(String(p))) out += `[${JSON.stringify(String(p))}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * A zod issue as a catalog message, so it can be said in the user's language: ours for the common
 * cases; a custom issue's `said` (fields.ts addSaid); zod's own translation where the schema kept
 * zod's wording; else the fixed text the schema gave zod, by its English words.
 */
function describeIssue(i: z.core.$ZodIssue): Said {
  if (i.code === 'unrecognized_keys') return said('unknownKeys', i.keys);
  if (i.code === 'invalid_type') return i.input === undefined ? said('required') : said('wrongType', i.expected);
  if (i.code === 'invalid_value') return said('oneOf', i.values.map(String));
  if (i.code === 'custom' && isSaid(i.params?.said)) return i.params.said;
  // The value itself stays out: it may be a secret, and no message needs it.
  const { message, path: _path, input: _input, ...raw } = i as z.core.$ZodIssue & { input?: unknown };
  const zodWords = said('zod', raw as z.core.$ZodRawIssue);
  return message === english(zodWords) ? zodWords : said('fixed', message);
}

const isSaid = (v: unknown): v is Said => typeof v === 'object' && v !== null && typeof (v as Said).key === 'string';

/** yaml turns `k: &a [*a]` into a circular object; walking it would never end. */
function hasCycle(v: unknown, seen = new Set<unknown>()): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (seen.has(v)) return true;
  seen.add(v);
  const found = Object.values(v as object).some((c) => hasCycle(c, seen));
  seen.delete(v);
  return found;
}
