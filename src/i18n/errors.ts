import { createRequire } from 'node:module';
import type * as z from 'zod';
import { rulesEn, rulesZhCN, type RuleMessages } from './config-rules.js';

/** A YAML syntax error's advice (config/yaml-error.ts picks it). */
export type YamlHint = { kind: 'duplicate' } | { kind: 'tab' } | { kind: 'quote'; example: string } | { kind: 'general' };

/**
 * The catalog's section for error messages: configuration issues (said after their `path: `) and
 * command-line errors. Values the user wrote, file names and commands are arguments, never translated.
 */
export interface ErrorMessages extends RuleMessages {
  noConfigFile: string;
  /** `code` is the errno code; undefined when the file does not exist. */
  cannotRead(file: string, code: string | undefined): string;
  /** `why` is the YAML library's reason; undefined when an alias refers to itself. */
  yamlUnreadable(file: string, why: string | undefined): string;
  /** `where` is file:line:col, `what` the YAML library's words, `frame` the source line and its caret. */
  yamlSyntax(where: string, what: string, frame: string, hint: YamlHint): string;
  notMapping(file: string): string;
  /** An unknown key named by the path before the message. */
  unknownKey: string;
  unknownKeys(keys: string[]): string;
  required: string;
  wrongType(expected: string): string;
  oneOf(values: string[]): string;
  /** A zod check with zod's own wording, in zod's translation. */
  zod(issue: z.core.$ZodRawIssue): string;
  notDuration(value: string): string;
  unknownProvider(type: string, available: string[]): string;
  envUnset(name: string): string;
  envEmpty(name: string): string;
  credentialMissing(key: string, envs: string[]): string;
  noSuchCertificates(names: string[], configured: string[]): string;
  noCertificateNamed(name: string, configured: string[]): string;
  noDnsEntry(name: string, defined: string[]): string;
  noCertificateUsesDns(name: string): string;
  noChannels: string;
  noServerListen: string;
  waitSeconds(value: string): string;
  durationFlag(flag: string, value: string): string;
  positiveMs(flag: string, value: string): string;
  notPort(flag: string, value: string): string;
  cannotReadFlag(flag: string, file: string): string;
  notUrl(flag: string, value: string): string;
  httpUrlOnly(flag: string, protocol: string): string;
  notListen(flag: string, value: string): string;
  notHttps(what: string, input: string): string;
  notHostPort(what: string, input: string): string;
  portRange(what: string, port: string): string;
  keyValue(flag: string, item: string): string;
  unknownDirectory(value: string, known: string[]): string;
  revokeReason(value: string, reasons: string[]): string;
  /** `reason` undefined: nothing is stored. */
  nothingToRevoke(name: string, reason: string | undefined): string;
  alreadyRevoked(name: string, at: string, reason: string): string;
  revokeNoAccount(name: string, directory: string, dataDir: string): string;
  removeConfigured(name: string, file: string): string;
  nothingStored(name: string, dataDir: string, stored: string[]): string;
  caFlag(value: string, known: string[]): string;
  noAccount(directory: string, dataDir: string): string;
  emailFlag(value: string): string;
  renewNeedsConfig(name: string): string;
  /** `question` is the CLI's own question, already in the user's language. */
  confirmYes(question: string): string;
}

const list = (xs: string[], none: string) => xs.join(', ') || none;

export const errorsEn: ErrorMessages = {
  ...rulesEn,
  noConfigFile: 'no configuration file found: pass --config FILE, set CERTKEEPER_CONFIG, or create ./certkeeper.yaml (see config/certkeeper.example.yaml)',
  cannotRead: (file, code) => `${file}: cannot read the configuration file (${code ?? 'it does not exist'})`,
  yamlUnreadable: (file, why) => `${file}: the YAML cannot be read (${why ?? 'an alias refers to itself'}); remove the recursive or repeated aliases (*name)`,
  yamlSyntax: (where, what, frame, hint) => `${where}: ${what}\n${frame}\n  hint: ${yamlHintEn(hint)}`,
  notMapping: (file) => `${file}: the configuration must be a mapping of keys (dataDir, acme, dns, certificates, ...)`,
  unknownKey: 'unknown key; check the spelling',
  unknownKeys: (keys) => `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}; check the spelling`,
  required: 'is required',
  wrongType: (expected) => `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`,
  oneOf: (values) => `must be one of: ${values.join(', ')}`,
  zod: (issue) => zodText(zodLocale('en'), issue),
  notDuration: (v) => `"${v}" is not a duration; write e.g. 30s, 5m, 2h or 1d`,
  unknownProvider: (type, available) => `unknown provider "${type}"; available: ${available.join(', ')}`,
  envUnset: (name) => `environment variable ${name} is not set; set it, or write \${${name}:-default}`,
  envEmpty: (name) => `environment variable ${name} is set but empty; give it a value, or write \${${name}:-default}`,
  credentialMissing: (key, envs) => `missing; set ${envs.join(' or ')} (or ${envs[0]}_FILE), or give ${key} in the config`,
  noSuchCertificates: (names, configured) => `--only ${names.join(', ')}: no such certificate; configured: ${list(configured, 'none')}`,
  noCertificateNamed: (name, configured) => `no certificate named "${name}" in the configuration; configured: ${list(configured, 'none')}`,
  noDnsEntry: (name, defined) => `no dns entry named "${name}"; defined: ${list(defined, 'none')}`,
  noCertificateUsesDns: (name) => `no certificate uses dns entry "${name}"; pass --domain DOMAIN`,
  noChannels: 'no channels under notify: in the configuration; see config/certkeeper.example.yaml',
  noServerListen: 'server.listen is not set in the configuration; set it (e.g. 127.0.0.1:9464) or pass --url',
  waitSeconds: (v) => `--wait ${v}: give a number of seconds, e.g. --wait 300`,
  durationFlag: (flag, v) => `${flag} "${v}" is not a duration; write e.g. 30s or 5m`,
  positiveMs: (flag, v) => `${flag}: "${v}" is not a positive number of milliseconds`,
  notPort: (flag, v) => `${flag}: "${v}" is not a port number`,
  cannotReadFlag: (flag, file) => `${flag}: cannot read ${file}`,
  notUrl: (flag, v) => `${flag}: "${v}" is not a URL; write e.g. http://127.0.0.1:8080`,
  httpUrlOnly: (flag, p) => `${flag}: use an http:// or https:// URL, not ${p}`,
  notListen: (flag, v) => `${flag}: "${v}" is not PORT or ADDRESS:PORT`,
  notHttps: (what, input) => `${what}: "${input}" is not https; mini-programs and browsers need https`,
  notHostPort: (what, input) => `${what}: "${input}" is not HOST or HOST:PORT`,
  portRange: (what, port) => `${what}: port ${port} is out of range (1-65535)`,
  keyValue: (flag, item) => `${flag} ${item}: write KEY=VALUE`,
  unknownDirectory: (v, known) => `"${v}" is neither a known CA (${known.join(', ')}) nor an https:// directory URL`,
  revokeReason: (v, reasons) => `--reason ${v}: use one of ${reasons.join(', ')}`,
  nothingToRevoke: (name, reason) => `${name}: no usable stored certificate to revoke (${reason ?? 'none is stored'})`,
  alreadyRevoked: (name, at, reason) => `${name}: already revoked at ${at} (${reason}); run certkeeper renew --now --only ${name} for a replacement`,
  revokeNoAccount: (name, dir, dataDir) => `${name}: the account that ordered it at ${dir} is not in ${dataDir}; revoke with --reason keyCompromise, which signs with the certificate's own key`,
  removeConfigured: (name, file) => `${name} is still configured; delete it from certificates: in ${file} first, then run certkeeper remove ${name}`,
  nothingStored: (name, dataDir, stored) => `${name}: nothing stored under that name in ${dataDir}${stored.length ? `; stored: ${stored.join(', ')}` : ''}`,
  caFlag: (v, known) => `--ca ${v}: name a known CA (${known.join(', ')}) or give its https:// directory URL`,
  noAccount: (dir, dataDir) => `no ACME account is registered at ${dir} in ${dataDir}; the first order there registers one (certkeeper renew)`,
  emailFlag: (v) => `--email ${v}: not an e-mail address`,
  renewNeedsConfig: (name) => `${name}: --renew needs the certificate in the configuration; it is not configured`,
  confirmYes: (q) => `${q}: confirm with --yes (no terminal to ask on)`,
};

export const errorsZhCN: ErrorMessages = {
  ...rulesZhCN,
  noConfigFile: '未找到配置文件：请用 --config 文件 指定，或设置 CERTKEEPER_CONFIG，或创建 ./certkeeper.yaml（参考 config/certkeeper.example.yaml）',
  cannotRead: (file, code) => `${file}：无法读取配置文件（${code ?? '文件不存在'}）`,
  yamlUnreadable: (file, why) => `${file}：无法读取 YAML（${why ?? '别名引用了自身'}）；请删除递归或重复的别名（*名称）`,
  yamlSyntax: (where, what, frame, hint) => `${where}：YAML 语法错误（${what}）\n${frame}\n  提示：${yamlHintZh(hint)}`,
  notMapping: (file) => `${file}：配置必须是键值映射（dataDir、acme、dns、certificates 等）`,
  unknownKey: '未知的键；请检查拼写',
  unknownKeys: (keys) => `未知的键 ${keys.map((k) => `"${k}"`).join('、')}；请检查拼写`,
  required: '必须填写',
  wrongType: (expected) => `类型应为 ${expected}`,
  oneOf: (values) => `只能是以下之一：${values.join(', ')}`,
  zod: (issue) => zodText(zodLocale('zh-CN'), issue),
  notDuration: (v) => `"${v}" 不是时长；请写成 30s、5m、2h 或 1d 这样的形式`,
  unknownProvider: (type, available) => `未知的 DNS 服务商 "${type}"；可选：${available.join(', ')}`,
  envUnset: (name) => `环境变量 ${name} 未设置；请设置它，或写成 \${${name}:-默认值}`,
  envEmpty: (name) => `环境变量 ${name} 已设置但为空；请给它赋值，或写成 \${${name}:-默认值}`,
  credentialMissing: (key, envs) => `缺少凭据；请设置 ${envs.join(' 或 ')}（或 ${envs[0]}_FILE），或在配置中填写 ${key}`,
  noSuchCertificates: (names, configured) => `--only ${names.join(', ')}：没有这个证书；已配置：${list(configured, '无')}`,
  noCertificateNamed: (name, configured) => `配置中没有名为 "${name}" 的证书；已配置：${list(configured, '无')}`,
  noDnsEntry: (name, defined) => `没有名为 "${name}" 的 dns 条目；已定义：${list(defined, '无')}`,
  noCertificateUsesDns: (name) => `没有证书使用 dns 条目 "${name}"；请用 --domain 域名 指定`,
  noChannels: '配置的 notify: 下没有通知渠道；参考 config/certkeeper.example.yaml',
  noServerListen: '配置中未设置 server.listen；请设置（如 127.0.0.1:9464）或使用 --url',
  waitSeconds: (v) => `--wait ${v}：请给出秒数，如 --wait 300`,
  durationFlag: (flag, v) => `${flag} "${v}" 不是时长；请写成 30s 或 5m 这样的形式`,
  positiveMs: (flag, v) => `${flag}："${v}" 不是正的毫秒数`,
  notPort: (flag, v) => `${flag}："${v}" 不是端口号`,
  cannotReadFlag: (flag, file) => `${flag}：无法读取 ${file}`,
  notUrl: (flag, v) => `${flag}："${v}" 不是 URL；请写成 http://127.0.0.1:8080 这样的形式`,
  httpUrlOnly: (flag, p) => `${flag}：请使用 http:// 或 https:// 地址，而不是 ${p}`,
  notListen: (flag, v) => `${flag}："${v}" 不是 端口 或 地址:端口`,
  notHttps: (what, input) => `${what}："${input}" 不是 https；小程序和浏览器都要求 https`,
  notHostPort: (what, input) => `${what}："${input}" 不是 主机 或 主机:端口`,
  portRange: (what, port) => `${what}：端口 ${port} 超出范围（1-65535）`,
  keyValue: (flag, item) => `${flag} ${item}：请写成 KEY=VALUE`,
  unknownDirectory: (v, known) => `"${v}" 既不是已知的 CA（${known.join(', ')}），也不是 https:// 目录地址`,
  revokeReason: (v, reasons) => `--reason ${v}：只能是以下之一：${reasons.join(', ')}`,
  nothingToRevoke: (name, reason) => `${name}：没有可吊销的已保存证书（${reason ?? '未保存任何证书'}）`,
  alreadyRevoked: (name, at, reason) => `${name}：已于 ${at} 吊销（${reason}）；执行 certkeeper renew --now --only ${name} 获取替换证书`,
  revokeNoAccount: (name, dir, dataDir) => `${name}：在 ${dir} 下单的账户不在 ${dataDir} 中；请用 --reason keyCompromise 吊销，它用证书自己的私钥签名`,
  removeConfigured: (name, file) => `${name} 仍在配置中；请先从 ${file} 的 certificates: 中删除，再执行 certkeeper remove ${name}`,
  nothingStored: (name, dataDir, stored) => `${name}：${dataDir} 中没有以此命名的已保存内容${stored.length ? `；已保存：${stored.join(', ')}` : ''}`,
  caFlag: (v, known) => `--ca ${v}：请写已知的 CA（${known.join(', ')}）或其 https:// 目录地址`,
  noAccount: (dir, dataDir) => `${dataDir} 中没有在 ${dir} 注册的 ACME 账户；在那里的第一次下单会注册一个（certkeeper renew）`,
  emailFlag: (v) => `--email ${v}：不是电子邮件地址`,
  renewNeedsConfig: (name) => `${name}：--renew 需要该证书在配置中；它未被配置`,
  confirmYes: (q) => `${q}：请用 --yes 确认（没有可提问的终端）`,
};

function yamlHintEn(h: YamlHint): string {
  if (h.kind === 'duplicate') return 'a key may appear only once in a mapping: remove or rename one of them';
  if (h.kind === 'tab') return 'indent with spaces; YAML does not allow tabs for indentation';
  if (h.kind === 'quote') return `quote values that start with "$" or "{", e.g. ${h.example}`;
  return 'check the indentation and quoting here and on the line above; quote values that start with "$", "{", "[", "@", "*" or "&"';
}

function yamlHintZh(h: YamlHint): string {
  if (h.kind === 'duplicate') return '同一映射中的键只能出现一次：删除或重命名其中一个';
  if (h.kind === 'tab') return '请用空格缩进；YAML 不允许用制表符缩进';
  if (h.kind === 'quote') return `以 "$" 或 "{" 开头的值要加引号，如 ${h.example}`;
  return '请检查这一行和上一行的缩进与引号；以 "$"、"{"、"["、"@"、"*" 或 "&" 开头的值要加引号';
}

/**
 * zod's wording in one language, loaded when a zod issue is said: `certkeeper run` imports this catalog
 * but parses its configuration in another process, and would otherwise keep zod only to word a failed
 * reload. One locale module each, not zod's namespace with all 48.
 */
function zodLocale(lang: 'en' | 'zh-CN'): { localeError: z.core.$ZodErrorMap } {
  const load = createRequire(import.meta.url) as (id: string) => { default: () => { localeError: z.core.$ZodErrorMap } };
  return load(lang === 'en' ? 'zod/v4/locales/en.js' : 'zod/v4/locales/zh-CN.js').default();
}

function zodText(locale: { localeError: z.core.$ZodErrorMap }, issue: z.core.$ZodRawIssue): string {
  const r = locale.localeError(issue);
  return typeof r === 'string' ? r : (r?.message ?? issue.code);
}

/**
 * An error message to say in the reader's language: a key of ErrorMessages and its arguments. Errors
 * carry it (CertkeeperError.said, ConfigIssue.said); the CLI says it in the chosen language.
 */
export type Said = { [K in keyof ErrorMessages]: ErrorMessages[K] extends (...args: infer A) => string ? { key: K; args: A } : { key: K; args?: [] } }[keyof ErrorMessages];

type ArgsOf<K extends keyof ErrorMessages> = ErrorMessages[K] extends (...args: infer A) => string ? A : [];

export function said<K extends keyof ErrorMessages>(key: K, ...args: ArgsOf<K>): Said {
  return { key, args } as Said;
}

/** A Said in the language of `texts`. */
export function sayIn(texts: ErrorMessages, s: Said): string {
  const v = texts[s.key] as string | ((...args: unknown[]) => string);
  return typeof v === 'function' ? v(...(s.args ?? [])) : v;
}

export const english = (s: Said): string => sayIn(errorsEn, s);
