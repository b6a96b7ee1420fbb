import * as z from 'zod';
import { addSaid, command, duration, onFirstUse, passEnv, servedCheck } from './fields.js';
import { said } from '../i18n/errors.js';
import { checkDomainName } from './names.js';
import { DEFAULT_DOH, ENV_NAME, RESOLVER_ADDRESS } from './patterns.js';
import { notifySchema } from '../ops/notify/config.js';
import { serverSchema } from '../ops/endpoint-config.js';
import { nodeName, storeSchema } from './store-schema.js';
import { CERTIFICATE_NAME, DIRECTORIES, KEY_TYPES, LAYOUTS, RELOAD_MODES, crossCheck, validCron } from './schema.js';

/**
 * The configuration's zod schema: what a configuration may hold, with every field's description, the
 * one source of the JSON Schema and the reference pages. The loader checks the common shapes without
 * it (plain-config.ts, plain-certificate.ts) and builds it only for anything else, and to word a problem.
 */

// Shared field types live in fields.ts; re-exported for the modules that imported them from here.
export { command, duration, optionalDuration, passEnv } from './fields.js';

/** A CA name from DIRECTORIES or an https:// directory URL, as the URL. */
function directoryUrl(v: string, ctx: z.RefinementCtx): string {
  if (DIRECTORIES[v]) return DIRECTORIES[v];
  if (/^https:\/\/[^/\s]+/.test(v)) return v;
  addSaid(ctx, said('unknownDirectory', v, Object.keys(DIRECTORIES)));
  return z.NEVER;
}

const DIRECTORY_TEXT = 'ACME directory: letsencrypt, letsencrypt-staging, zerossl, google, google-staging, or an https URL';
const directory = z.string().default('letsencrypt').transform(directoryUrl).describe(DIRECTORY_TEXT);
const directoryRequired = z.string().transform(directoryUrl).describe(DIRECTORY_TEXT);

const eab = onFirstUse(() =>
  z.object({
    kid: z.string().min(1).describe('key identifier the CA gave you'),
    hmacKey: z.string().min(1).describe('HMAC key the CA gave you; write "${VAR}" to take it from the environment'),
  })
  .strict()
  .describe('External Account Binding (ZeroSSL, Google); for zerossl it is fetched by the account e-mail when omitted'),
);

/** The settings one CA entry may carry besides its directory (acme, acme.fallback[], certificates[].acme). */
const caFields = {
  email: z.email('is not an e-mail address').optional().describe('contact address for the CA account'),
  caBundle: z
    .string()
    .optional()
    .describe("extra CA certificates to trust for the ACME server's own TLS; a custom directory that needs it is taken as a private CA, which may issue for names outside public DNS"),
  eab: z.lazy(eab).optional(),
  profile: z.string().min(1).optional().describe("ACME profile for new orders (e.g. classic, tlsserver, shortlived); must be listed in the CA's directory"),
  preferredChain: z
    .string()
    .min(1)
    .optional()
    .describe('common name of the root (or intermediate) whose chain to take when the CA offers alternate chains, e.g. "ISRG Root X1"; an unknown name keeps the default chain with a warning'),
  proxy: z
    .url({ protocol: /^https?$/, error: 'write an http:// or https:// proxy URL, e.g. http://proxy.internal:3128' })
    .optional()
    .describe('HTTP proxy (CONNECT) for requests to the CA only; DNS API requests never use it'),
};

const fallbackCa = onFirstUse(() =>
  z
    .object({ directory: directoryRequired, ...caFields })
    .strict()
    .describe('a CA to try when the one before it fails for a CA-side reason; email, caBundle, proxy and preferredChain default to the acme block\'s'),
);

const fallback = z
  .array(z.lazy(fallbackCa))
  .max(5, 'list at most 5 fallback CAs')
  .describe('CAs tried in order, in the same pass, when an order fails for a CA-side reason (unreachable, 5xx, rateLimited); the next renewal starts with the first CA again');

const domainName = () =>
  z.string().transform((v, ctx) => {
    const r = checkDomainName(v);
    if ('error' in r) {
      addSaid(ctx, r.said);
      return z.NEVER;
    }
    return r.name;
  });

const certificateName = () =>
  z
    .string()
    .regex(CERTIFICATE_NAME, 'use letters, digits, ".", "_" and "-" only (it names a directory)')
    .refine((v) => !v.includes('..'), 'must not contain ".."');

/** A file mode written as "0640" / "640" (octal) or a number. */
const fileMode = () =>
  z
    .union([z.string().regex(/^0?[0-7]{3,4}$/, 'write an octal mode such as "0640"'), z.number().int().min(0).max(0o7777)])
    .transform((v) => (typeof v === 'number' ? v : parseInt(v, 8)))
    .meta({ title: 'file mode', description: 'file mode, octal, e.g. "0640"' });

/** One place a certificate is deployed to (see src/deploy/layouts.ts for the file names per layout). */
export const deployTargetFiles = onFirstUse(() =>
  z.object({
    layout: z.enum(LAYOUTS).default('nginx').describe('file layout: nginx, bundle, pem or pfx'),
    dir: z.string().optional().describe('directory for the layout\'s default file names'),
    paths: z.record(z.string(), z.string()).optional().describe('explicit path per file role (fullchain, key, cert, chain, combined, pfx)'),
    owner: z.union([z.string().min(1), z.number().int().min(0)]).optional().describe('user name or uid that owns the files'),
    group: z.union([z.string().min(1), z.number().int().min(0)]).optional().describe('group name or gid of the files'),
    certMode: fileMode().optional().describe('mode of certificate files (default 0644)'),
    keyMode: fileMode().optional().describe('mode of files holding the private key (default 0600)'),
    allowSymlinks: z.boolean().default(false).describe('write through a symbolic link at a target path (default: refuse)'),
    deploy: z.string().optional().describe('name of the deploy: entry to test and reload'),
    preDeploy: command.optional().describe('command run before writing; a failure stops this target'),
    postDeploy: command.optional().describe('command run after a successful deploy'),
    hookTimeout: duration('60s').describe('time limit for each hook'),
    passEnv: passEnv.default([]).describe('environment variables the hooks get besides the minimal set (the daemon\'s other variables, credentials included, never reach them)'),
    verify: servedCheck({ example: '127.0.0.1:443', address: 'host:port where the server serves this certificate', timeout: '30s', description: 'after reload, check that this address serves the new certificate' }),
    rollbackOnVerifyFailure: z.boolean().default(false).describe('restore the previous files when the served-certificate check fails'),
    passwordEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional().describe('pfx: env variable holding the password'),
    password: z.string().optional().describe('pfx: the password; write "${VAR}" to take it from the environment'),
    pfxLegacy: z.boolean().default(false).describe('pfx: 3DES/SHA1 encryption for old Windows (Server 2016 and earlier)'),
  })
  .strict(),
);

/**
 * A cloud deploy target (tencentcloud-clb, aliyun-cdn, ...): `type` picks it, and its other keys are
 * checked against that target's descriptor by the loader (src/targets/config.ts).
 */
const cloudTargetEntry = () =>
  z
    .object({ type: z.string().describe('cloud target type') })
    .passthrough()
    .describe('a cloud deploy target: type picks it, the other keys are its options');

export type CloudTargetEntry = z.output<ReturnType<typeof cloudTargetEntry>>;
export type TargetEntry = z.output<ReturnType<typeof deployTargetFiles>> | CloudTargetEntry;

/** A certificate entry; built only when some entry is not plain (plain-certificate.ts checks the others). */
const certificate = onFirstUse(() =>
  z.object({
    name: certificateName().describe('unique name; the certificate is stored under dataDir/certs/NAME'),
    domains: z
      .array(domainName())
      .min(1, 'list at least one domain')
      .max(100, 'a certificate may carry at most 100 names')
      .describe('names on the certificate; the first is the subject. Wildcards as *.example.com'),
    dns: z
      .union([z.string(), z.record(z.string(), z.string())])
      .optional()
      .describe('name of the dns: entry that writes the TXT records (default: the only one), or a mapping zone suffix → entry name for CNAME targets'),
    challengeAlias: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\.?$/, 'write a zone (acme.example.net) or a name (_acme-challenge.x.acme.example.net)')
      .optional()
      .describe('write the TXT records at _acme-challenge.<this zone> (or this exact name) without looking up a CNAME'),
    keyType: z.enum(KEY_TYPES).default('ecdsa-p256').describe('private key type'),
    reuseKey: z.boolean().default(false).describe('keep the same private key across renewals (default: a fresh key each time)'),
    files: z
      .object({
        cert: z.string().describe('path of the full chain (leaf + intermediates) to deploy'),
        key: z.string().describe('path of the private key to deploy (written 0600)'),
      })
      .strict()
      .optional()
      .describe('where to deploy; omit to only keep the certificate in dataDir'),
    targets: z
      .array(z.union([deployTargetFiles(), cloudTargetEntry()]))
      .default([])
      .describe('places to deploy to: files in a layout, or a cloud load balancer, CDN or certificate service (an entry with type:)'),
    deploy: z.string().optional().describe('name of the deploy: entry to test and reload (default: the only one)'),
    nodes: z.array(nodeName).min(1).optional().describe('deploy only on these hosts of the fleet (their node: names); default: every host whose configuration lists the certificate'),
    acme: z
      .object({ directory: directoryRequired.optional(), ...caFields, fallback: fallback.optional() })
      .strict()
      .optional()
      .describe('this certificate\'s own CA settings: any acme field given here replaces the acme block\'s for it'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.domains.forEach((d, i) => {
      if (seen.has(d)) addSaid(ctx, said('listedTwice', d), ['domains', i]);
      seen.add(d);
    });
  }),
);

const deployTarget = onFirstUse(() =>
  z.object({
    mode: z.enum(RELOAD_MODES).default('command').describe('how to test and reload: command, signal or docker'),
    test: command.optional().describe('command that checks the server configuration, e.g. ["nginx", "-t"]'),
    reload: command.optional().describe('command that makes the server load the new files, e.g. ["nginx", "-s", "reload"]'),
    timeout: duration('60s').describe('time limit for each command'),
    passEnv: passEnv.default([]).describe('environment variables test and reload get besides the minimal set'),
    pidFile: z.string().optional().describe('signal mode: file holding the Nginx master PID'),
    pid: z.number().int().min(1).optional().describe('signal mode: the Nginx master PID itself, instead of pidFile (1 in a sidecar sharing its PID namespace)'),
    // Kept so configurations that spell out SIGHUP stay valid; SIGUSR2 would upgrade the binary, not reload.
    signal: z.string().optional().describe('signal mode: SIGHUP, the only signal that reloads Nginx (the default)'),
    container: z.string().min(1).optional().describe('docker mode: name or id of the Nginx container'),
    socket: z.string().default('/var/run/docker.sock').describe('docker mode: Docker Engine API unix socket'),
    apiVersion: z.string().regex(/^1\.\d+$/, 'write e.g. 1.43').default('1.43').describe('docker mode: Engine API version'),
    servedCheck: z
      .union([
        z.literal(false),
        z
          .object({
            host: z.string().min(1).optional().describe("connect here instead of each listen address's host (Nginx in another network namespace: its service name); default: the listen host, loopback for wildcards; docker mode: the container"),
            timeout: duration('30s').describe('how long to wait for every probed server block to serve the new certificate'),
            configDump: command.optional().describe('command printing the effective configuration (nginx -T); default: the test command with its -t turned into -T (docker mode: nginx -T in the container)'),
          })
          .strict(),
      ])
      .prefault({})
      .describe('after reload, probe every server block whose ssl_certificate is a file just written (found with nginx -T) until it serves the new certificate; false turns this off. A target with verify: is checked only there'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.mode === 'signal' && !d.pidFile === (d.pid === undefined)) {
      addSaid(ctx, said(d.pidFile ? 'pidBoth' : 'pidNeeded'), ['pidFile']);
    }
    if (d.signal !== undefined && d.signal !== 'SIGHUP') addSaid(ctx, said('signalNotReload', d.signal), ['signal']);
    if (d.mode === 'docker' && !d.container) addSaid(ctx, said('dockerContainer'), ['container']);
  }),
);

const dnsEntry = z
  .object({ type: z.string().describe('provider type') })
  .passthrough()
  .describe('a DNS provider instance; the other keys are the provider options');

const configObject = z
  .object({
    $schema: z.string().optional(),
    dataDir: z.string().default('./data').describe('folder for account keys, issued certificates (dataDir/certs/NAME) and state; with store type postgres only what is this host\'s own (deploy journal, lock, alert state)'),
    store: storeSchema,
    node: nodeName.optional().describe("this host's name in the fleet, in status, metrics and deploy records (default: the hostname)"),
    acme: z
      .object({ directory, ...caFields, fallback: fallback.default([]) })
      .strict()
      .prefault({})
      .describe('the certificate authority (CA) and the account there'),
    renew: z
      .object({
        beforeDays: z.number().positive().max(365).default(30).describe('renew when fewer days than this remain'),
        schedule: z
          .string()
          .optional()
          .refine((v) => v === undefined || validCron(v), 'is not a cron expression; write e.g. "17 3,15 * * *" (minute hour day month weekday)')
          .describe('cron expression for `certkeeper run` passes (default: twice a day at a minute chosen once per installation)')
          .meta({ examples: ['17 3,15 * * *'] }),
        concurrency: z.number().int().min(1).max(32).default(4).describe('orders in flight at once'),
        randomDelay: duration('5m').describe('each scheduled pass starts after a random delay up to this long'),
        passTimeout: duration('30m').describe('`certkeeper run` and `renew --now`: a pass still running after this long is aborted (TXT records removed, lock released); under `run`, /healthz answers 503'),
      })
      .strict()
      .prefault({})
      .describe('when certificates are renewed and how many at once'),
    dns: z.record(z.string(), dnsEntry).default({}).describe('named DNS provider instances'),
    propagation: z
      .object({
        resolvers: z
          .array(z.string().regex(RESOLVER_ADDRESS, 'write host or host:port'))
          .optional()
          .describe("servers to ask instead of the zone's authoritative nameservers"),
        bootstrap: z
          .array(z.string().regex(RESOLVER_ADDRESS, 'write host or host:port'))
          .optional()
          .describe('resolvers used to find the authoritative nameservers (default: the system resolver)'),
        minorityFailure: z
          .enum(['wait', 'ignore'])
          .default('ignore')
          .describe('when fewer than half of the nameservers SERVFAIL or time out: ignore them, or wait for them'),
        doh: z
          .array(z.url({ protocol: /^https?$/ }))
          .default(DEFAULT_DOH)
          .describe('DNS-over-HTTPS resolvers asked as a last resort when no nameserver can be reached; [] turns this off'),
        timeout: duration('300s').describe('give up waiting for the TXT records after this long'),
        interval: duration('2s').describe('longest pause between two checks'),
      })
      .strict()
      .prefault({})
      .describe('how certkeeper waits until the challenge TXT records are served'),
    deploy: z.record(z.string(), z.lazy(deployTarget)).default({}).describe('named servers to test and reload after deploying'),
    certificates: z.array(z.lazy(certificate)).default([]).describe('the certificates to issue, renew and deploy, one entry each'),
    notify: notifySchema,
    server: serverSchema,
  })
  .strict();

export const configSchema = configObject.superRefine((cfg, ctx) => crossCheck(cfg, (s, path) => addSaid(ctx, s, path)));
/** The configuration without its certificates' entries, for the loader's fast path (plain-certificate.ts). */
export const configFrame = configObject;

export type RawConfig = z.output<typeof configSchema>;
export type CertificateConfig = RawConfig['certificates'][number];
