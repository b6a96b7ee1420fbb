import { errorsEn, errorsZhCN, type ErrorMessages } from './errors.js';
import { notifyEn, notifyZhCN, type NotifyMessages } from './notify.js';

/**
 * The one catalog of user-facing text, in English and Simplified Chinese: the CLI's output here, the
 * alert messages (notify.ts) and the error messages (errors.ts) in their own sections. One object per
 * language with the same shape (the type makes a missing translation a compile error).
 */
export interface Messages {
  notify: NotifyMessages;
  errors: ErrorMessages;
  errorPrefix: string;
  configPrefix: string;
  configOk(file: string, count: number): string;
  summary: { headers: [string, string, string, string]; none: string };
  result: {
    renewedDeployed: string;
    renewed: string;
    dryRun: string;
    failed(stage: string, message: string): string;
    redeployed: string;
    notDue(reason: string): string;
    /** Many certificates not due, in one row: how many, and the one that renews first with its reason. */
    notDueCount(n: number, soonest: string, reason: string): [string, string];
    deferred(reason: string): string;
    /** After the table of `renew --now`: a due certificate a backoff held back, and when it is tried again. */
    held(name: string, at: string, wait: string, human: boolean): string;
  };
  steps: Record<'waiting' | 'ordering' | 'presented' | 'propagated' | 'validated' | 'issued' | 'deployed' | 'failed' | 'skipped', string>;
  /** Progress within a step: "1/2" nameservers serve the TXT records. */
  stepDetail(served: string): string;
  status: {
    headers: [string, string, string, string, string, string, string];
    yes(reason: string): string;
    no: string;
    none: string;
    hosts: string;
    unconfigured(names: string): string;
    /** The table of each target's last deploy. */
    targets: { headers: [string, string, string, string]; ok: string; failed: string; older: string };
  };
  init: {
    intro: string;
    email: string;
    ca: string;
    provider: string;
    dnsName: string;
    credential(key: string, description: string): string;
    option(key: string, description: string): string;
    domains: string;
    certName: string;
    deploy: string;
    certFile: string;
    keyFile: string;
    reload: string;
    container: string;
    testCommand: string;
    reloadCommand: string;
    dataDir: string;
    invalid(message: string): string;
    choose(n: number): string;
    exists(file: string): string;
    written(file: string): string;
    exportFirst: string;
    next: string;
    nextComments: { check: string; dnsTest: string; dryRun: string; now: string };
    missing(flags: string): string;
  };
}

export const en: Messages = {
  notify: notifyEn,
  errors: errorsEn,
  errorPrefix: 'certkeeper: ',
  configPrefix: 'config: ',
  configOk: (file, n) => `ok: ${file} (${n} certificate${n === 1 ? '' : 's'})`,
  summary: { headers: ['NAME', 'RESULT', 'DAYS LEFT', 'TIME'], none: 'no certificates configured' },
  result: {
    renewedDeployed: 'renewed, deployed',
    renewed: 'renewed',
    dryRun: 'issued (dry run, not stored)',
    failed: (stage, m) => `FAILED (${stage}): ${m}`,
    redeployed: 'deployed again',
    notDue: (r) => `not due: ${r}`,
    notDueCount: (n, soonest, r) => [`(${n} certificates)`, `not due; soonest ${soonest}: ${r} (--log-level debug lists each)`],
    deferred: (r) => `waiting: ${r} (--force retries now)`,
    held: (n, at, wait, human) =>
      `${n}: due but not renewed: ${human ? 'retrying cannot fix the last error, a human must act (see certkeeper status); ' : 'backing off after a failure; '}next automatic attempt ${at} (in ${wait}); run with --force to try now`,
  },
  steps: {
    waiting: 'waiting',
    ordering: 'ordering',
    presented: 'TXT written',
    propagated: 'propagated',
    validated: 'validated',
    issued: 'issued',
    deployed: 'deployed',
    failed: 'failed',
    skipped: 'skipped',
  },
  stepDetail: (served) => `${served} nameservers`,
  status: {
    headers: ['NAME', 'DOMAINS', 'CA', 'ISSUER', 'NOT AFTER', 'DAYS LEFT', 'DUE'],
    yes: (r) => `yes: ${r}`,
    no: 'no',
    none: 'no certificates configured',
    hosts: 'HOSTS',
    unconfigured: (n) => `stored but no longer configured: ${n} (certkeeper remove NAME deletes one)`,
    targets: { headers: ['TARGET', 'LAST DEPLOY', 'RESULT', 'WHERE'], ok: 'ok', failed: 'FAILED', older: 'ok, older certificate' },
  },
  init: {
    intro: 'This writes a certkeeper configuration. Secrets are not asked for: the file names environment variables that hold them.',
    email: 'Contact e-mail for the CA account (optional)',
    ca: 'Certificate authority',
    provider: 'DNS provider that hosts the zone',
    dnsName: 'Name of this DNS entry',
    credential: (key, d) => `Environment variable that holds ${key} (${d})`,
    option: (key, d) => `${key} (${d})`,
    domains: 'Domains on the certificate, comma separated (e.g. example.com,*.example.com)',
    certName: 'Certificate name (names its directory)',
    deploy: 'Deploy into Nginx files? (y/n)',
    certFile: 'Path of the certificate (full chain) Nginx reads',
    keyFile: 'Path of the private key Nginx reads',
    reload: 'How is Nginx reloaded',
    container: 'Name of the Nginx container',
    testCommand: 'Command that tests the configuration',
    reloadCommand: 'Command that reloads the server',
    dataDir: 'Data directory (account keys, certificates)',
    invalid: (m) => `  ${m}; try again`,
    choose: (n) => `enter a number from 1 to ${n} or a name from the list`,
    exists: (f) => `${f} exists; pass --force to overwrite it`,
    written: (f) => `wrote ${f}`,
    exportFirst: 'Set these environment variables first (values from your cloud console):',
    next: 'Next:',
    nextComments: {
      check: 'validate the file',
      dnsTest: 'write and remove a test TXT record',
      dryRun: "issue from the CA's staging directory; stores and deploys nothing",
      now: 'issue for real and deploy',
    },
    missing: (flags) => `init needs ${flags} when stdin is not a terminal`,
  },
};

export const zhCN: Messages = {
  notify: notifyZhCN,
  errors: errorsZhCN,
  errorPrefix: 'certkeeper: ',
  configPrefix: '配置: ',
  configOk: (file, n) => `正常: ${file}（${n} 个证书）`,
  summary: { headers: ['名称', '结果', '剩余天数', '耗时'], none: '未配置任何证书' },
  result: {
    renewedDeployed: '已续期，已部署',
    renewed: '已续期',
    dryRun: '已签发（演练，未保存）',
    failed: (stage, m) => `失败（${stage === 'deploy' ? '部署' : '签发'}）: ${m}`,
    redeployed: '已重新部署',
    notDue: (r) => `未到期: ${r}`,
    notDueCount: (n, soonest, r) => [`（${n} 个证书）`, `未到期；最早的 ${soonest}: ${r}（--log-level debug 逐个列出）`],
    deferred: (r) => `等待重试: ${r}（--force 立即重试）`,
    held: (n, at, wait, human) =>
      `${n}：已到续期时间但未续期：${human ? '重试无法解决上次的错误，需要人工处理（见 certkeeper status）；' : '失败后退避中；'}下次自动尝试 ${at}（${wait}后）；加 --force 立即重试`,
  },
  steps: {
    waiting: '等待中',
    ordering: '下单中',
    presented: 'TXT 已写入',
    propagated: '已生效',
    validated: '已验证',
    issued: '已签发',
    deployed: '已部署',
    failed: '失败',
    skipped: '已跳过',
  },
  stepDetail: (served) => `${served} 个权威服务器已生效`,
  status: {
    headers: ['名称', '域名', 'CA', '签发者', '到期时间', '剩余天数', '需续期'],
    yes: (r) => `是: ${r}`,
    no: '否',
    none: '未配置任何证书',
    hosts: '主机',
    unconfigured: (n) => `已保存但不在配置中：${n}（用 certkeeper remove 名称 删除）`,
    targets: { headers: ['部署目标', '上次部署', '结果', '位置'], ok: '成功', failed: '失败', older: '成功（旧证书）' },
  },
  init: {
    intro: '将生成 certkeeper 配置文件。不会询问密钥本身：文件中只写保存密钥的环境变量名。',
    email: 'CA 账户联系邮箱（可选）',
    ca: '证书颁发机构',
    provider: '托管该域名的 DNS 服务商',
    dnsName: '此 DNS 条目的名称',
    credential: (key, d) => `保存 ${key} 的环境变量（${d}）`,
    option: (key, d) => `${key}（${d}）`,
    domains: '证书包含的域名，用逗号分隔（如 example.com,*.example.com）',
    certName: '证书名称（用作目录名）',
    deploy: '部署到 Nginx 文件？(y/n)',
    certFile: 'Nginx 读取的证书（完整链）路径',
    keyFile: 'Nginx 读取的私钥路径',
    reload: 'Nginx 的重载方式',
    container: 'Nginx 容器名称',
    testCommand: '检查配置的命令',
    reloadCommand: '重载服务的命令',
    dataDir: '数据目录（账户密钥、证书）',
    invalid: (m) => `  ${m}；请重新输入`,
    choose: (n) => `请输入 1 到 ${n} 的数字或列表中的名称`,
    exists: (f) => `${f} 已存在；如需覆盖请加 --force`,
    written: (f) => `已写入 ${f}`,
    exportFirst: '请先设置这些环境变量（值来自云控制台）：',
    next: '下一步：',
    nextComments: {
      check: '校验配置文件',
      dnsTest: '写入并删除一条测试 TXT 记录',
      dryRun: '向 CA 的测试环境签发；不保存、不部署',
      now: '正式签发并部署',
    },
    missing: (flags) => `标准输入不是终端时，init 需要 ${flags}`,
  },
};
