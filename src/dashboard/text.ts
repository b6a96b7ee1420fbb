import type { Lang } from '../i18n/index.js';
import type { Health } from './view.js';

/** The dashboard's words in English and Simplified Chinese; the type makes a missing translation a compile error. */
export interface DashboardText {
  title: string;
  skip: string;
  nav: { overview: string; language: string; signIn: string; signOut: string };
  summary(total: number, soonest: { name: string; daysLeft: number } | undefined): string;
  health: Record<Health, string>;
  readOnly: string;
  actionsSignedOut: string;
  certificates: string;
  none: string;
  col: { name: string; domains: string; issuer: string; expires: string; daysLeft: string; timeline: string; status: string; targets: string; hosts: string };
  days(n: number): string;
  due: string;
  notDue: string;
  backoffUntil(at: string, failures: number): string;
  behind(n: number): string;
  timelineLabel(notAfter: string, renewFrom: string | undefined, ari: boolean): string;
  legend: { renewal: string; ari: string; now: string };
  passes: string;
  passCols: { started: string; duration: string; result: string };
  passResult(certs: number, renewed: string[], failed: string[], running: boolean): string;
  passInterrupted(certs: number): string;
  noPasses: string;
  nextCheck(at: string | undefined): string;
  running: string;
  alerts: string;
  noAlerts: string;
  alertKind: Record<'failure' | 'deploy-failed' | 'expiring', string>;
  detail: {
    back: string;
    names: string;
    serial: string;
    fingerprint: string;
    keyType: string;
    validity: string;
    reason: string;
    lastError: string;
    attempts: string;
    attemptCols: { at: string; outcome: string; duration: string; error: string };
    outcome: Record<'renewed' | 'failed', string>;
    chain: string;
    chainCols: { subject: string; issuer: string; serial: string; notAfter: string };
    targets: string;
    targetCols: { id: string; kind: string; where: string; serial: string; state: string };
    current: string;
    unreadable(why: string): string;
    /** A cloud target's or a host's last deploy failed. */
    deployFailed(why: string): string;
    notDeployed: string;
    files: string;
    fileCols: { target: string; role: string; path: string; serial: string };
    keyFile: string;
    served: string;
    servedCols: { address: string; servername: string; serial: string };
    noServed: string;
    hosts: string;
    hostCols: { host: string; serial: string; deployedAt: string; state: string; lastSeen: string };
    notFound(name: string): string;
  };
  actions: { renew: string; deploy: string; busy: string; done(what: string): string; failed(what: string, why: string): string; refused: string };
  login: { title: string; token: string; submit: string; wrong: string; throttled: string; off: string };
}

const en: DashboardText = {
  title: 'certkeeper',
  skip: 'Skip to content',
  nav: { overview: 'Overview', language: '中文', signIn: 'Sign in for actions', signOut: 'Sign out' },
  summary: (n, s) => `${n} certificate${n === 1 ? '' : 's'}${s ? `; the first to expire is ${s.name}, in ${s.daysLeft} days` : ''}.`,
  health: { ok: 'ok', due: 'due', failing: 'failing', expired: 'expired', missing: 'not issued' },
  readOnly: 'Read-only: actions are off (server.dashboard.actions and a token turn them on).',
  actionsSignedOut: 'Sign in with the dashboard token to renew or deploy from here.',
  certificates: 'Certificates',
  none: 'No certificates are configured.',
  col: { name: 'Name', domains: 'Names', issuer: 'Issuer', expires: 'Expires', daysLeft: 'Days left', timeline: 'Lifetime', status: 'Status', targets: 'Targets', hosts: 'Hosts' },
  days: (n) => `${n} d`,
  due: 'due',
  notDue: 'not due',
  backoffUntil: (at, f) => `backing off after ${f} failure${f === 1 ? '' : 's'} until ${at}`,
  behind: (n) => `${n} behind`,
  timelineLabel: (end, from, ari) => `Valid until ${end}${from ? `; renews from ${from}` : ''}${ari ? '; the CA suggested a renewal window' : ''}`,
  legend: { renewal: 'renewal window', ari: 'CA window (ARI)', now: 'now' },
  passes: 'Recent passes',
  passCols: { started: 'Started', duration: 'Duration', result: 'Result' },
  passResult: (n, r, f, running) => (running ? `running (${n} certificates)` : `${n} checked; renewed: ${r.join(', ') || 'none'}; failed: ${f.join(', ') || 'none'}`),
  passInterrupted: (n) => `interrupted: the daemon stopped before it ended (${n} certificates)`,
  noPasses: 'No pass since the daemon started.',
  nextCheck: (at) => (at ? `Next scheduled pass: ${at}.` : 'Next scheduled pass: not planned yet.'),
  running: 'A pass is running.',
  alerts: 'Alert log',
  noAlerts: 'No alerts since the daemon started.',
  alertKind: { failure: 'renewal failed', 'deploy-failed': 'deploy failed', expiring: 'expiring' },
  detail: {
    back: 'All certificates',
    names: 'Names (SANs)',
    serial: 'Serial',
    fingerprint: 'SHA-256 fingerprint',
    keyType: 'Key type',
    validity: 'Valid',
    reason: 'Next pass',
    lastError: 'Last error',
    attempts: 'Last attempts',
    attemptCols: { at: 'When', outcome: 'Outcome', duration: 'Duration', error: 'Error' },
    outcome: { renewed: 'renewed', failed: 'failed' },
    chain: 'Chain',
    chainCols: { subject: 'Subject', issuer: 'Issuer', serial: 'Serial', notAfter: 'Not after' },
    targets: 'Targets',
    targetCols: { id: 'Target', kind: 'Kind', where: 'Path or resource', serial: 'Holds serial', state: 'State' },
    current: 'current',
    unreadable: (why) => `unreadable: ${why}`,
    deployFailed: (why) => `last deploy failed: ${why}`,
    notDeployed: 'not deployed yet',
    files: 'Deployed files',
    fileCols: { target: 'Target', role: 'Role', path: 'Path', serial: 'Serial' },
    keyFile: 'private key (never shown)',
    served: 'Served-certificate checks',
    servedCols: { address: 'Address', servername: 'SNI', serial: 'Serves serial' },
    noServed: 'No target has a verify address.',
    hosts: 'Hosts',
    hostCols: { host: 'Host', serial: 'Deploys serial', deployedAt: 'Deployed', state: 'State', lastSeen: 'Last seen' },
    notFound: (n) => `No certificate named ${n} is configured.`,
  },
  actions: {
    renew: 'Renew now',
    deploy: 'Deploy again',
    busy: 'A pass is running; try again when it has finished.',
    done: (w) => `${w}: done.`,
    failed: (w, why) => `${w}: failed: ${why}`,
    refused: 'The form expired or came from another page; nothing was done. Reload and try again.',
  },
  login: { title: 'Sign in', token: 'Dashboard token', submit: 'Sign in', wrong: 'That token is not right.', throttled: 'Too many wrong tokens; wait a minute.', off: 'Actions are off on this daemon.' },
};

const zhCN: DashboardText = {
  title: 'certkeeper',
  skip: '跳到正文',
  nav: { overview: '总览', language: 'English', signIn: '登录以执行操作', signOut: '退出登录' },
  summary: (n, s) => `共 ${n} 张证书${s ? `；最先到期的是 ${s.name}，还剩 ${s.daysLeft} 天` : ''}。`,
  health: { ok: '正常', due: '待续期', failing: '失败', expired: '已过期', missing: '未签发' },
  readOnly: '只读：操作未开启（需配置 server.dashboard.actions 和令牌）。',
  actionsSignedOut: '用仪表盘令牌登录后，可在此续期或重新部署。',
  certificates: '证书',
  none: '没有配置任何证书。',
  col: { name: '名称', domains: '域名', issuer: '签发机构', expires: '到期时间', daysLeft: '剩余天数', timeline: '有效期', status: '状态', targets: '部署目标', hosts: '主机' },
  days: (n) => `${n} 天`,
  due: '待续期',
  notDue: '未到期',
  backoffUntil: (at, f) => `已失败 ${f} 次，退避至 ${at}`,
  behind: (n) => `${n} 处未更新`,
  timelineLabel: (end, from, ari) => `有效期至 ${end}${from ? `；自 ${from} 起续期` : ''}${ari ? '；CA 给出了续期窗口' : ''}`,
  legend: { renewal: '续期窗口', ari: 'CA 窗口（ARI）', now: '现在' },
  passes: '最近的检查轮次',
  passCols: { started: '开始', duration: '耗时', result: '结果' },
  passResult: (n, r, f, running) => (running ? `进行中（${n} 张证书）` : `检查 ${n} 张；续期：${r.join('、') || '无'}；失败：${f.join('、') || '无'}`),
  passInterrupted: (n) => `已中断：守护进程在本轮结束前停止（${n} 张证书）`,
  noPasses: '守护进程启动后尚未运行检查。',
  nextCheck: (at) => (at ? `下次计划检查：${at}。` : '下次计划检查：尚未安排。'),
  running: '正在运行一轮检查。',
  alerts: '告警记录',
  noAlerts: '守护进程启动后没有告警。',
  alertKind: { failure: '续期失败', 'deploy-failed': '部署失败', expiring: '即将到期' },
  detail: {
    back: '全部证书',
    names: '域名（SAN）',
    serial: '序列号',
    fingerprint: 'SHA-256 指纹',
    keyType: '密钥类型',
    validity: '有效期',
    reason: '下一轮',
    lastError: '最近的错误',
    attempts: '最近的尝试',
    attemptCols: { at: '时间', outcome: '结果', duration: '耗时', error: '错误' },
    outcome: { renewed: '已续期', failed: '失败' },
    chain: '证书链',
    chainCols: { subject: '主题', issuer: '签发者', serial: '序列号', notAfter: '到期' },
    targets: '部署目标',
    targetCols: { id: '目标', kind: '类型', where: '路径或资源', serial: '当前序列号', state: '状态' },
    current: '最新',
    unreadable: (why) => `无法读取：${why}`,
    deployFailed: (why) => `上次部署失败：${why}`,
    notDeployed: '尚未部署',
    files: '已部署的文件',
    fileCols: { target: '目标', role: '用途', path: '路径', serial: '序列号' },
    keyFile: '私钥（不显示）',
    served: '在线证书检查',
    servedCols: { address: '地址', servername: 'SNI', serial: '在线序列号' },
    noServed: '没有目标配置 verify 地址。',
    hosts: '主机',
    hostCols: { host: '主机', serial: '部署的序列号', deployedAt: '部署时间', state: '状态', lastSeen: '最近在线' },
    notFound: (n) => `没有名为 ${n} 的证书。`,
  },
  actions: {
    renew: '立即续期',
    deploy: '重新部署',
    busy: '正在运行一轮检查，请结束后再试。',
    done: (w) => `${w}：完成。`,
    failed: (w, why) => `${w}：失败：${why}`,
    refused: '表单已过期或来自其他页面，未执行任何操作。请刷新后重试。',
  },
  login: { title: '登录', token: '仪表盘令牌', submit: '登录', wrong: '令牌不正确。', throttled: '错误次数过多，请一分钟后再试。', off: '此守护进程未开启操作。' },
};

export function dashboardText(lang: Lang): DashboardText {
  return lang === 'zh-CN' ? zhCN : en;
}
