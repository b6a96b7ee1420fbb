import { parseDuration } from './duration.js';
import { DEFAULT_DOH, ENV_NAME, LISTEN_ADDRESS, RESOLVER_ADDRESS } from './patterns.js';
import { DIRECTORIES, RELOAD_MODES, validCron, type RawConfig } from './schema.js';
import { NODE_NAME } from './store-config.js';

/**
 * The configuration around its certificate entries, of the common shape, checked without zod: what
 * `configFrame` (zod-schema.ts) gives for it, defaults filled in, keys in the schema's order, or
 * undefined for anything else, valid or not. Then zod checks it and words any problem, as always.
 * The common shape: the file store; acme without eab, fallback CAs or a proxy; dns entries (their
 * options are the provider's to check); propagation without doh; deploy entries; no notify channels;
 * server without dashboard options. Building zod's schemas and running zod's code for the first time
 * cost more than the rest of loading a small configuration; this costs a fraction of a millisecond.
 * test/unit/plain-config.test.ts holds the two to the same output over generated configurations.
 * The `certificates` key is left as an empty list: the caller checks the entries (plain-certificate.ts).
 */
export function plainFrame(raw: Record<string, unknown>): RawConfig | undefined {
  if (!hasOnly(raw, FRAME_KEYS)) return undefined;
  const { $schema, dataDir = './data', store, node, acme, renew, dns, propagation, deploy, certificates, notify, server } = raw;
  if (($schema !== undefined && typeof $schema !== 'string') || typeof dataDir !== 'string') return undefined;
  if (node !== undefined && !(typeof node === 'string' && NODE_NAME.test(node))) return undefined;
  if (certificates !== undefined && !Array.isArray(certificates)) return undefined;
  if (!(store === undefined || (isObject(store) && hasOnly(store, FILE_STORE) && store.type === 'file'))) return undefined;
  const parts = [plainAcme(acme), plainRenew(renew), plainRecord(dns, plainDnsEntry), plainPropagation(propagation), plainRecord(deploy, plainDeploy), plainNotify(notify), plainServer(server)];
  if (parts.includes(undefined)) return undefined;
  const [a, r, d, p, dep, n, s] = parts;
  return {
    ...($schema !== undefined ? { $schema } : {}),
    dataDir,
    store: { type: 'file' },
    ...(node !== undefined ? { node } : {}),
    acme: a,
    renew: r,
    dns: d,
    propagation: p,
    deploy: dep,
    certificates: [],
    notify: n,
    server: s,
  } as unknown as RawConfig;
}

type Obj = Record<string, unknown>;

const FRAME_KEYS = ['$schema', 'dataDir', 'store', 'node', 'acme', 'renew', 'dns', 'propagation', 'deploy', 'certificates', 'notify', 'server'];
const FILE_STORE = ['type'];
/** acme: keys taken here; eab, fallback and proxy go to zod (proxy: zod's URL check decides). */
const ACME_KEYS = ['directory', 'email', 'caBundle', 'profile', 'preferredChain', 'fallback'];
const RENEW_KEYS = ['beforeDays', 'schedule', 'concurrency', 'randomDelay', 'passTimeout'];
const PROPAGATION_KEYS = ['resolvers', 'bootstrap', 'minorityFailure', 'timeout', 'interval'];
const DEPLOY_KEYS = ['mode', 'test', 'reload', 'timeout', 'passEnv', 'pidFile', 'pid', 'signal', 'container', 'socket', 'apiVersion', 'servedCheck'];
const SERVED_CHECK_KEYS = ['host', 'timeout', 'configDump'];
/**
 * Narrower than zod's e-mail pattern (no `'` in the local part): what it takes, zod takes too; an
 * address it does not take goes to zod, which takes it or says why not.
 */
const EMAIL = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const hasOnly = (o: Obj, keys: readonly string[]): boolean => Object.keys(o).every((k) => keys.includes(k));
const str = (v: unknown, min = 0): v is string => typeof v === 'string' && v.length >= min;
const optStr = (v: unknown, min = 0): boolean => v === undefined || str(v, min);
const int = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
/** A duration field: its milliseconds, or undefined for what zod would refuse. */
const ms = (v: unknown, def: string): number | undefined => (v === undefined ? parseDuration(def) : typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined);
const strings = (v: unknown, ok: (s: string) => boolean, min = 0): string[] | undefined =>
  Array.isArray(v) && v.length >= min && v.every((s) => typeof s === 'string' && ok(s)) ? (v.slice() as string[]) : undefined;
/** An external command: a non-empty list of non-empty arguments. */
const command = (v: unknown) => strings(v, (s) => s.length > 0, 1);
/** Only the keys whose value is defined, in the order given: zod leaves an optional key out when absent. */
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function plainAcme(v: unknown): Obj | undefined {
  if (v === undefined) v = {};
  if (!isObject(v) || !hasOnly(v, ACME_KEYS)) return undefined;
  const { directory = 'letsencrypt', email, caBundle, profile, preferredChain, fallback = [] } = v;
  if (typeof directory !== 'string') return undefined;
  const url = DIRECTORIES[directory] ?? (/^https:\/\/[^/\s]+/.test(directory) ? directory : undefined);
  if (url === undefined || (email !== undefined && !(typeof email === 'string' && EMAIL.test(email)))) return undefined;
  if (!optStr(caBundle) || !optStr(profile, 1) || !optStr(preferredChain, 1) || !(Array.isArray(fallback) && fallback.length === 0)) return undefined;
  return defined({ directory: url, email, caBundle, profile, preferredChain, fallback: [] });
}

function plainRenew(v: unknown): Obj | undefined {
  if (v === undefined) v = {};
  if (!isObject(v) || !hasOnly(v, RENEW_KEYS)) return undefined;
  const { beforeDays = 30, schedule, concurrency = 4 } = v;
  if (!(typeof beforeDays === 'number' && Number.isFinite(beforeDays) && beforeDays > 0 && beforeDays <= 365)) return undefined;
  if (schedule !== undefined && !(typeof schedule === 'string' && validCron(schedule))) return undefined;
  const randomDelay = ms(v.randomDelay, '5m');
  const passTimeout = ms(v.passTimeout, '30m');
  if (!int(concurrency, 1, 32) || randomDelay === undefined || passTimeout === undefined) return undefined;
  return defined({ beforeDays, schedule, concurrency, randomDelay, passTimeout });
}

/** A mapping of named entries (dns:, deploy:), each checked by `entry`. */
function plainRecord(v: unknown, entry: (e: unknown) => Obj | undefined): Obj | undefined {
  if (v === undefined) return {};
  // `__proto__` as a name would set the prototype of the output object: zod's business.
  if (!isObject(v) || Object.hasOwn(v, '__proto__')) return undefined;
  const out: Obj = {};
  for (const [name, e] of Object.entries(v)) {
    const checked = entry(e);
    if (!checked) return undefined;
    out[name] = checked;
  }
  return out;
}

/** A dns: entry: its type, then its options as written (the provider's descriptor checks them). */
function plainDnsEntry(e: unknown): Obj | undefined {
  if (!isObject(e) || typeof e.type !== 'string' || Object.hasOwn(e, '__proto__')) return undefined;
  const { type, ...options } = e;
  return { type, ...options };
}

function plainPropagation(v: unknown): Obj | undefined {
  if (v === undefined) v = {};
  if (!isObject(v) || !hasOnly(v, PROPAGATION_KEYS)) return undefined;
  const { minorityFailure = 'ignore' } = v;
  const resolvers = v.resolvers === undefined ? undefined : strings(v.resolvers, (s) => RESOLVER_ADDRESS.test(s));
  const bootstrap = v.bootstrap === undefined ? undefined : strings(v.bootstrap, (s) => RESOLVER_ADDRESS.test(s));
  const timeout = ms(v.timeout, '300s');
  const interval = ms(v.interval, '2s');
  if ((v.resolvers !== undefined && !resolvers) || (v.bootstrap !== undefined && !bootstrap)) return undefined;
  if ((minorityFailure !== 'wait' && minorityFailure !== 'ignore') || timeout === undefined || interval === undefined) return undefined;
  return defined({ resolvers, bootstrap, minorityFailure, doh: DEFAULT_DOH.slice(), timeout, interval });
}

function plainDeploy(e: unknown): Obj | undefined {
  if (!isObject(e) || !hasOnly(e, DEPLOY_KEYS)) return undefined;
  const { mode = 'command', pidFile, pid, signal, container, socket = '/var/run/docker.sock', apiVersion = '1.43' } = e;
  const test = e.test === undefined ? undefined : command(e.test);
  const reload = e.reload === undefined ? undefined : command(e.reload);
  const passEnv = e.passEnv === undefined ? [] : strings(e.passEnv, (s) => ENV_NAME.test(s));
  const timeout = ms(e.timeout, '60s');
  const servedCheck = plainServedCheck(e.servedCheck);
  if (!(RELOAD_MODES as readonly unknown[]).includes(mode) || (e.test !== undefined && !test) || (e.reload !== undefined && !reload)) return undefined;
  if (!passEnv || timeout === undefined || servedCheck === undefined || !optStr(pidFile) || !optStr(signal) || !optStr(container, 1)) return undefined;
  if ((pid !== undefined && !int(pid, 1)) || !str(socket) || !(typeof apiVersion === 'string' && /^1\.\d+$/.test(apiVersion))) return undefined;
  // The schema's cross-field rules: anything they would refuse is for zod to word.
  if ((mode === 'signal' && !pidFile === (pid === undefined)) || (signal !== undefined && signal !== 'SIGHUP') || (mode === 'docker' && !container)) return undefined;
  return defined({ mode, test, reload, timeout, passEnv, pidFile, pid, signal, container, socket, apiVersion, servedCheck });
}

function plainServedCheck(v: unknown): false | Obj | undefined {
  if (v === false) return false;
  if (v === undefined) v = {};
  if (!isObject(v) || !hasOnly(v, SERVED_CHECK_KEYS) || !optStr(v.host, 1)) return undefined;
  const timeout = ms(v.timeout, '30s');
  const configDump = v.configDump === undefined ? undefined : command(v.configDump);
  if (timeout === undefined || (v.configDump !== undefined && !configDump)) return undefined;
  return defined({ host: v.host, timeout, configDump });
}

/** notify: with no channels (a list of them is written as `[]`, or as { language, channels }). */
function plainNotify(v: unknown): Obj | undefined {
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return { language: 'en', channels: [] };
  if (!isObject(v) || !hasOnly(v, ['language', 'channels'])) return undefined;
  const { language = 'en', channels = [] } = v;
  if ((language !== 'en' && language !== 'zh') || !(Array.isArray(channels) && channels.length === 0)) return undefined;
  return { language, channels: [] };
}

/** server: with `dashboard` true or false; its options object goes to zod. */
function plainServer(v: unknown): Obj | undefined {
  if (v === undefined) v = {};
  if (!isObject(v) || !hasOnly(v, ['listen', 'dashboard'])) return undefined;
  const { listen, dashboard = false } = v;
  if (listen !== undefined && !(typeof listen === 'string' && LISTEN_ADDRESS.test(listen))) return undefined;
  if (typeof dashboard !== 'boolean' || (dashboard && !listen)) return undefined;
  return defined({ listen, dashboard });
}
