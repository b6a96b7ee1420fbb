import type { RawConfig } from './config/schema.js';
import type { CredentialField } from './dns/provider.js';
import type { ChannelConfig } from './ops/notify/config.js';

/**
 * What counts as a secret, in one place, for the three places that hide them: log lines (field names),
 * alert texts and vendor error messages (parameter names and known values).
 */

/** The fields of each alert channel that hold credentials. A new channel type does not compile until listed. */
export const CHANNEL_SECRET_FIELDS = {
  wecom: ['url'],
  dingtalk: ['url', 'secret'],
  feishu: ['url', 'secret'],
  lark: ['url', 'secret'],
  slack: ['url'],
  webhook: ['url', 'headers'],
  email: ['password'],
} as const satisfies { [T in ChannelConfig['type']]: ReadonlyArray<keyof Extract<ChannelConfig, { type: T }>> };

/** The ACME account's External Account Binding key. */
const ACME_SECRET_FIELDS = ['hmacKey'] as const satisfies ReadonlyArray<keyof NonNullable<RawConfig['acme']['eab']>>;

/**
 * Names of values that are credentials wherever they appear: certkeeper's own objects (private keys),
 * HTTP (authorization), and the request parameters cloud APIs sign or authenticate with, as SDKs echo
 * them in error messages (Alibaba's AccessKeyId, Signature and SignatureNonce; Tencent's SecretId;
 * DingTalk's sign; WeCom's access_token). Compared lower-case without "_" and "-".
 */
const SECRET_NAMES = [
  'password', 'passwd', 'pwd', 'secret', 'secretid', 'token', 'authorization', 'privatekey', 'keypem', 'hmackey',
  'accesskey', 'accesskeyid', 'signature', 'signaturenonce', 'sign',
];
/** Any name ending so is a secret too (accessKeySecret, sessionToken, clientSecret, smtpPassword). */
const SECRET_SUFFIXES = ['secret', 'token', 'password', 'passwd', 'signature'];
/** A secret as a query parameter (WeCom's `?key=`), but too common a word to hide as a field name. */
const QUERY_ONLY_NAMES = ['key'];

/** Known secret values shorter than this are left alone: blanking them would garble unrelated words. */
const MIN_VALUE_LENGTH = 4;

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

function isSecretName(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  const n = normalize(name);
  return SECRET_NAMES.includes(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s)) || extra.has(n);
}

/**
 * Field names to hide in log lines: the common ones, every credential field of every DNS provider
 * descriptor, every channel secret field and the EAB key. Built from the descriptors, so a provider
 * whose credential has an unusual name is covered without touching this file.
 */
export function secretFieldNames(descriptors: ReadonlyArray<{ credentials: ReadonlyArray<Pick<CredentialField, 'key'>> }>): ReadonlySet<string> {
  const names = [
    ...descriptors.flatMap((d) => d.credentials.map((c) => c.key)),
    ...Object.values(CHANNEL_SECRET_FIELDS).flat(),
    ...ACME_SECRET_FIELDS,
  ];
  return new Set(names.map(normalize));
}

/**
 * The credential field names of the DNS providers in providers/ and of the cloud deploy targets, by type.
 * Listed here rather than read from the descriptors so that creating a logger imports no provider or
 * target file (start-up of every command); a unit test fails when a descriptor names a credential missing here.
 */
export const PROVIDER_CREDENTIAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  alidns: ['accessKeyId', 'accessKeySecret', 'securityToken'],
  builtin: [],
  cloudflare: ['apiToken'],
  exec: [],
  rfc2136: ['secret', 'keyName'],
  tencentcloud: ['secretId', 'secretKey', 'sessionToken'],
  'aliyun-alb': ['accessKeyId', 'accessKeySecret', 'securityToken'],
  'aliyun-cas': ['accessKeyId', 'accessKeySecret', 'securityToken'],
  'aliyun-cdn': ['accessKeyId', 'accessKeySecret', 'securityToken'],
  'aliyun-slb': ['accessKeyId', 'accessKeySecret', 'securityToken'],
  'tencentcloud-cdn': ['secretId', 'secretKey', 'sessionToken'],
  'tencentcloud-clb': ['secretId', 'secretKey', 'sessionToken'],
  'tencentcloud-ssl': ['secretId', 'secretKey', 'sessionToken'],
};

/** secretFieldNames for the providers in providers/ and the cloud targets, without loading them. */
export function installedSecretFieldNames(): ReadonlySet<string> {
  return secretFieldNames(Object.values(PROVIDER_CREDENTIAL_FIELDS).map((keys) => ({ credentials: keys.map((key) => ({ key })) })));
}

/**
 * A copy of `value` with every field named as a secret (at any depth) replaced by `censor`, and every
 * string scrubbed of `name=value` secrets. Plain objects and arrays are copied; other objects are kept.
 */
export function redactFields<T>(value: T, fields: ReadonlySet<string>, censor: string, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return scrubText(value, [], censor) as T;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]' as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  const plain = Array.isArray(value) || proto === Object.prototype || proto === null;
  if (!plain) return value;
  seen.add(value);
  const out = Array.isArray(value)
    ? value.map((v: unknown) => redactFields(v, fields, censor, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretName(k, fields) ? censor : redactFields(v, fields, censor, seen)]));
  seen.delete(value);
  return out as T;
}

/** `name=value`, `name%3Dvalue` (URL-encoded, as in a string-to-sign) and `name: value`. */
const PARAMETER = /(?<![A-Za-z_-])([A-Za-z][A-Za-z0-9_-]*)(=|%3D|:[ \t]*)([^&\s,"']+)/gi;

/**
 * Text with every known secret value and every secret-named parameter value replaced by `censor`:
 * for alert texts and for the vendor messages that reach errors and logs.
 */
export function scrubText(text: string, known: ReadonlyArray<string | undefined>, censor: string): string {
  let out = text;
  const values = known.filter((s): s is string => typeof s === 'string' && s.length >= MIN_VALUE_LENGTH).sort((a, b) => b.length - a.length);
  for (const s of values) out = out.split(s).join(censor);
  // Step past a name that is not a secret instead of past its whole match: in "https://h/?token=x"
  // the text after "https:" holds the parameter that is.
  let scrubbed = '';
  let done = 0;
  const re = new RegExp(PARAMETER.source, PARAMETER.flags);
  for (let m = re.exec(out); m; m = re.exec(out)) {
    const [all, name, sep] = m as unknown as [string, string, string];
    if (isSecretName(name) || (!sep.startsWith(':') && QUERY_ONLY_NAMES.includes(normalize(name)))) {
      scrubbed += `${out.slice(done, m.index)}${name}${sep}${censor}`;
      done = m.index + all.length;
    } else {
      re.lastIndex = m.index + name.length;
    }
  }
  return scrubbed + out.slice(done);
}
