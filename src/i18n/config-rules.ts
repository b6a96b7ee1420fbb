/**
 * The catalog's texts for the configuration's own rules: domain names (config/names.ts), the
 * cross-field checks of the schema, deploy layouts, and the fixed messages schemas give zod.
 */
export interface RuleMessages {
  domainEmpty: string;
  domainUrl(raw: string): string;
  domainSlash(raw: string): string;
  domainIp(raw: string): string;
  domainPort(raw: string, port: string): string;
  domainColon(raw: string): string;
  domainTrailingDot(raw: string): string;
  domainSpace(raw: string): string;
  wildcardPlace(raw: string): string;
  notIdna(raw: string): string;
  emptyLabel(raw: string): string;
  labelTooLong(raw: string, length: number): string;
  labelUnderscore(raw: string, label: string): string;
  labelChars(raw: string, label: string): string;
  labelHyphen(raw: string, label: string): string;
  wildcardUnderSuffix(raw: string, suffix: string): string;
  publicSuffix(raw: string, suffix: string): string;
  singleLabel(raw: string): string;
  localName(raw: string): string;
  numericTld(raw: string): string;
  nameTooLong(raw: string, length: number): string;
  notInPublicDns(name: string, tld: string): string;
  listedTwice(value: string): string;
  nameUsedTwice(name: string): string;
  noDnsProvider: string;
  whichDns(names: string[]): string;
  noDeployEntry(name: string, defined: string[]): string;
  whichDeploy(names: string[]): string;
  pidBoth: string;
  pidNeeded: string;
  signalNotReload(signal: string): string;
  dockerContainer: string;
  layoutNoRole(layout: string, role: string, roles: string[]): string;
  layoutNeedsDir(role: string, layout: string, file: string): string;
  fileTwice(path: string): string;
  pfxPassword: string;
  passwordNotPfx: string;
  /** A message a schema gives zod as fixed text (a regex's or a refinement's), by its English words. */
  fixed(english: string): string;
}

const orNone = (xs: string[]) => xs.join(', ') || 'none';

export const rulesEn: RuleMessages = {
  domainEmpty: 'is empty; give a domain name such as api.example.com',
  domainUrl: (r) => `"${r}" is a URL; give only the host name, without the scheme or path`,
  domainSlash: (r) => `"${r}" contains "/"; give only the host name, without a path`,
  domainIp: (r) => `"${r}" is an IP address; DNS-01 certificates are for domain names only`,
  domainPort: (r, p) => `"${r}" has a port; certificates cover names, not ports: remove ":${p}"`,
  domainColon: (r) => `"${r}" contains ":"; give a plain domain name`,
  domainTrailingDot: (r) => `"${r}" ends with a dot; remove the trailing dot`,
  domainSpace: (r) => `"${r}" contains white space`,
  wildcardPlace: (r) => `"${r}" has "*" in the wrong place; a wildcard must be the whole left-most label, as in *.example.com`,
  notIdna: (r) => `"${r}" is not a valid domain name (it cannot be converted to IDNA A-labels)`,
  emptyLabel: (r) => `"${r}" has an empty label (two dots in a row)`,
  labelTooLong: (r, n) => `"${r}" has a label of ${n} characters; the limit is 63`,
  labelUnderscore: (r, l) => `"${r}" has the label "${l}" with "_"; CAs do not issue certificates for names with underscores (CA/Browser Forum Baseline Requirements): use "-"`,
  labelChars: (r, l) => `"${r}" has the label "${l}" with characters not allowed in a host name`,
  labelHyphen: (r, l) => `"${r}" has the label "${l}" starting or ending with "-"`,
  wildcardUnderSuffix: (r, s) => `"${r}" is a wildcard directly under the public suffix ${s}; CAs refuse it: use a name you registered, as in *.example.${s}`,
  publicSuffix: (r, s) => `"${r}" is a public suffix (like com or co.uk), not a name anyone registers; use a name under it, such as example.${s}`,
  singleLabel: (r) => `"${r}" is a single label; give a fully qualified name such as ${r}.example.com`,
  localName: (r) => `"${r}" is a local name; public CAs only issue for names in public DNS`,
  numericTld: (r) => `"${r}" ends with a numeric label; that is not a domain name`,
  nameTooLong: (r, n) => `"${r}" is ${n} characters long; a domain name may have at most 253`,
  notInPublicDns: (name, tld) =>
    `"${name}" is not in public DNS: .${tld} is not a top-level domain in the Public Suffix List, so public CAs refuse it; use a registered domain (for a private CA, set acme.caBundle to its root)`,
  listedTwice: (v) => `"${v}" is listed twice`,
  nameUsedTwice: (n) => `"${n}" is used by two certificates`,
  noDnsProvider: 'no dns provider is configured; add one under dns:',
  whichDns: (names) => `say which dns entry to use (${names.join(', ')})`,
  noDeployEntry: (n, defined) => `no deploy entry named "${n}"; defined: ${orNone(defined)}`,
  whichDeploy: (names) => `say which deploy entry to use (${names.join(', ')})`,
  pidBoth: 'give pidFile or pid, not both',
  pidNeeded: "signal mode needs pidFile (e.g. /run/nginx.pid) or pid (1 in a sidecar sharing Nginx's PID namespace)",
  signalNotReload: (s) =>
    `${s === 'SIGUSR2' ? 'SIGUSR2 makes Nginx start a new binary (an upgrade), it does not reload' : `${s} does not reload Nginx`}; remove signal: (SIGHUP, the reload signal, is the default and the only choice)`,
  dockerContainer: 'docker mode needs container: the Nginx container name',
  layoutNoRole: (layout, role, roles) => `the ${layout} layout has no "${role}" file; it has: ${roles.join(', ')}`,
  layoutNeedsDir: (role, layout, file) => `give dir (or paths.${role}) so the ${layout} layout knows where to write ${file}`,
  fileTwice: (p) => `${p} is used for two files`,
  pfxPassword: 'a pfx target needs a password: set passwordEnv (an environment variable name) or password: "${VAR}"',
  passwordNotPfx: 'a password only applies to the pfx layout',
  fixed: (english) => english,
};

/** The fixed messages of the schemas (config, notify, endpoint, providers), by their English words. */
const FIXED_ZH: Record<string, string> = {
  'use at least 16 characters, e.g. the output of `openssl rand -hex 24`': '至少 16 个字符，例如 `openssl rand -hex 24` 的输出',
  'use letters, digits, ".", "_" and "-" only (at most 63), e.g. web-1': '只能用字母、数字、"."、"_" 和 "-"（最多 63 个），例如 web-1',
  'write postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full': '请写成 postgres://用户:密码@主机:5432/数据库?sslmode=verify-full',
  'lower-case letters, digits and "_", starting with a letter or "_"': '只能用小写字母、数字和 "_"，并以字母或 "_" 开头',
  'an argument is empty': '有一个参数为空',
  'give the command as a non-empty list, e.g. ["nginx", "-t"]': '请把命令写成非空列表，如 ["nginx", "-t"]',
  'an environment variable name': '应为环境变量名',
  'use letters, digits, ".", "_" and "-" only (it names a directory)': '只能使用字母、数字、"."、"_" 和 "-"（它用作目录名）',
  'must not contain ".."': '不能包含 ".."',
  'write an octal mode such as "0640"': '请写八进制权限，如 "0640"',
  'write host:port, e.g. 127.0.0.1:443': '请写成 主机:端口，如 127.0.0.1:443',
  'write host:port, e.g. 127.0.0.1:9464': '请写成 主机:端口，如 127.0.0.1:9464',
  'write host or host:port': '请写成 主机 或 主机:端口',
  'list at least one domain': '至少列出一个域名',
  'a certificate may carry at most 100 names': '一个证书最多包含 100 个域名',
  'write a zone (acme.example.net) or a name (_acme-challenge.x.acme.example.net)': '请写区域（acme.example.net）或记录名（_acme-challenge.x.acme.example.net）',
  'write e.g. 1.43': '请写成 1.43 这样的形式',
  'is not an e-mail address': '不是电子邮件地址',

  'is not a cron expression; write e.g. "17 3,15 * * *" (minute hour day month weekday)': '不是 cron 表达式；请写成 "17 3,15 * * *" 这样的形式（分 时 日 月 星期）',
  'must be an http(s) URL': '必须是 http(s) 地址',
  'write the delegated zone, e.g. acme.example.net': '请写委派的区域，如 acme.example.net',
  'must be the base64 key secret (at least 16 bytes)': '必须是 base64 编码的密钥（至少 16 字节）',
  'write an http:// or https:// proxy URL, e.g. http://proxy.internal:3128': '请写 http:// 或 https:// 代理地址，如 http://proxy.internal:3128',
  'list at most 5 fallback CAs': '最多列出 5 个备用 CA',
};

export const rulesZhCN: RuleMessages = {
  domainEmpty: '为空；请填写域名，如 api.example.com',
  domainUrl: (r) => `"${r}" 是 URL；只写主机名，不要协议和路径`,
  domainSlash: (r) => `"${r}" 含有 "/"；只写主机名，不要路径`,
  domainIp: (r) => `"${r}" 是 IP 地址；DNS-01 证书只能签发给域名`,
  domainPort: (r, p) => `"${r}" 带有端口；证书只管域名，不管端口：请去掉 ":${p}"`,
  domainColon: (r) => `"${r}" 含有 ":"；请只写域名`,
  domainTrailingDot: (r) => `"${r}" 以点结尾；请去掉末尾的点`,
  domainSpace: (r) => `"${r}" 含有空白字符`,
  wildcardPlace: (r) => `"${r}" 中 "*" 的位置不对；通配符必须是最左边的整个标签，如 *.example.com`,
  notIdna: (r) => `"${r}" 不是有效的域名（无法转换为 IDNA A-label）`,
  emptyLabel: (r) => `"${r}" 有空标签（连续两个点）`,
  labelTooLong: (r, n) => `"${r}" 有一个 ${n} 个字符的标签；上限是 63`,
  labelUnderscore: (r, l) => `"${r}" 的标签 "${l}" 含有 "_"；CA 不为含下划线的域名签发证书（CA/浏览器论坛基本要求）：请改用 "-"`,
  labelChars: (r, l) => `"${r}" 的标签 "${l}" 含有主机名不允许的字符`,
  labelHyphen: (r, l) => `"${r}" 的标签 "${l}" 以 "-" 开头或结尾`,
  wildcardUnderSuffix: (r, s) => `"${r}" 是直接位于公共后缀 ${s} 下的通配符，CA 会拒绝：请使用你注册的域名，如 *.example.${s}`,
  publicSuffix: (r, s) => `"${r}" 是公共后缀（如 com、co.uk），不是可注册的域名；请使用其下的域名，如 example.${s}`,
  singleLabel: (r) => `"${r}" 只有一个标签；请写完整域名，如 ${r}.example.com`,
  localName: (r) => `"${r}" 是本地名称；公共 CA 只为公共 DNS 中的域名签发`,
  numericTld: (r) => `"${r}" 以数字标签结尾，不是域名`,
  nameTooLong: (r, n) => `"${r}" 长 ${n} 个字符；域名最多 253 个字符`,
  notInPublicDns: (name, tld) => `"${name}" 不在公共 DNS 中：.${tld} 不是公共后缀列表中的顶级域，公共 CA 会拒绝；请使用已注册的域名（私有 CA 请把 acme.caBundle 设为其根证书）`,
  listedTwice: (v) => `"${v}" 列出了两次`,
  nameUsedTwice: (n) => `"${n}" 被两个证书使用`,
  noDnsProvider: '未配置 DNS 服务商；请在 dns: 下添加一个',
  whichDns: (names) => `请指定使用哪个 dns 条目（${names.join(', ')}）`,
  noDeployEntry: (n, defined) => `没有名为 "${n}" 的 deploy 条目；已定义：${defined.join(', ') || '无'}`,
  whichDeploy: (names) => `请指定使用哪个 deploy 条目（${names.join(', ')}）`,
  pidBoth: 'pidFile 和 pid 只能二选一',
  pidNeeded: 'signal 模式需要 pidFile（如 /run/nginx.pid）或 pid（与 Nginx 共享 PID 命名空间的边车中为 1）',
  signalNotReload: (s) => `${s === 'SIGUSR2' ? 'SIGUSR2 会让 Nginx 启动新的二进制（升级），不是重载' : `${s} 不会重载 Nginx`}；请删除 signal:（重载信号 SIGHUP 是默认值，也是唯一选择）`,
  dockerContainer: 'docker 模式需要 container：Nginx 容器的名称',
  layoutNoRole: (layout, role, roles) => `${layout} 布局没有 "${role}" 文件；它有：${roles.join(', ')}`,
  layoutNeedsDir: (role, layout, file) => `请给出 dir（或 paths.${role}），${layout} 布局才知道把 ${file} 写到哪里`,
  fileTwice: (p) => `${p} 被用于两个文件`,
  pfxPassword: 'pfx 目标需要密码：请设置 passwordEnv（环境变量名）或 password: "${VAR}"',
  passwordNotPfx: '只有 pfx 布局才用密码',
  fixed: (english) => FIXED_ZH[english] ?? english,
};

/** The fixed messages that have a translation (a test checks the schemas use no other). */
export const FIXED_MESSAGES: readonly string[] = Object.keys(FIXED_ZH);
