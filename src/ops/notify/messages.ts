import type { Language } from './config.js';

/** One thing worth telling a person. */
export type Notice =
  | { kind: 'failure'; name: string; domains: string[]; stage: 'issue' | 'deploy'; error: string; code?: string; notAfter?: Date; at: Date }
  | { kind: 'success'; name: string; domains: string[]; notAfter: Date; deployed: boolean; at: Date }
  /** `where`: the copy in use that expires first; `reason`: why it is not being replaced. */
  | { kind: 'expiring'; name: string; domains: string[]; notAfter: Date; threshold: number; where: string; reason: string; at: Date }
  | { kind: 'test'; channel: string; host: string; at: Date }
  /** Issued by a fallback CA after a CA-side failure: nothing failed, but a person may want to know. */
  | { kind: 'fallback'; name: string; domains: string[]; from: string; to: string; error: string; at: Date };

export interface Rendered {
  title: string;
  /** Plain text. */
  text: string;
  /** Markdown (the subset WeCom, DingTalk and Slack share: headings, bold, lists, code spans). */
  markdown: string;
  /** The same events as data, for the generic webhook. */
  events: Record<string, unknown>[];
}

const DAY = 86_400_000;

export function daysUntil(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY);
}

type Line = { label?: string; value: string };
interface Block {
  title: string;
  lines: Line[];
}

const T = {
  en: {
    failureTitle: (n: string) => `certkeeper: renewing ${n} failed`,
    successTitle: (n: string) => `certkeeper: ${n} renewed`,
    expiringTitle: (n: string, d: number) => (d < 0 ? `certkeeper: ${n} has EXPIRED` : `certkeeper: ${n} expires in ${d} day${d === 1 ? '' : 's'}`),
    testTitle: 'certkeeper: test message',
    many: (n: number) => `certkeeper: ${n} events`,
    names: 'Names',
    stage: 'Failed while',
    stages: { issue: 'issuing from the CA', deploy: 'deploying to the server' },
    error: 'Error',
    expires: 'Certificate in use',
    expiresValue: (d: number, at: string) => (d < 0 ? `EXPIRED ${-d} days ago (${at})` : `expires in ${d} days (${at})`),
    none: 'no certificate in use yet',
    where: 'In use at',
    why: 'Not replaced because',
    expiringTodo: (rerun: string) => `Act before it expires: fix what the line above says, then run ${rerun} (add --force to renew before its window); certkeeper status shows each certificate's state.`,
    validUntil: 'Valid until',
    deployed: (yes: boolean) => (yes ? 'deployed and the server reloaded' : 'stored (no deploy target)'),
    status: 'Status',
    todo: 'What to do',
    testText: (c: string, h: string) => `Channel "${c}" on ${h} works. certkeeper will send alerts here.`,
    nothing: 'nothing; this is for your records',
    fallbackTitle: (n: string) => `certkeeper: ${n} was issued by a fallback CA`,
    fallbackFrom: 'CA that failed',
    fallbackTo: 'Issued by',
    fallbackTodo: 'Nothing for now; the next renewal tries the first CA again. If this repeats, check the first CA (status page, network, proxy).',
  },
  zh: {
    failureTitle: (n: string) => `certkeeper：证书 ${n} 续期失败`,
    successTitle: (n: string) => `certkeeper：证书 ${n} 已续期`,
    expiringTitle: (n: string, d: number) => (d < 0 ? `certkeeper：证书 ${n} 已过期` : `certkeeper：证书 ${n} 还有 ${d} 天过期`),
    testTitle: 'certkeeper：测试消息',
    many: (n: number) => `certkeeper：${n} 条通知`,
    names: '域名',
    stage: '失败环节',
    stages: { issue: '向 CA 申请证书', deploy: '部署到服务器' },
    error: '错误',
    expires: '当前在用证书',
    expiresValue: (d: number, at: string) => (d < 0 ? `已过期 ${-d} 天（${at}）` : `${d} 天后过期（${at}）`),
    none: '尚无在用证书',
    where: '在用位置',
    why: '未被替换的原因',
    expiringTodo: (rerun: string) => `请在过期前处理：按上一行的原因修复，然后执行 ${rerun}（未到续期窗口时加 --force）；certkeeper status 可查看各证书状态。`,
    validUntil: '有效期至',
    deployed: (yes: boolean) => (yes ? '已部署并重载服务器' : '已保存（未配置部署）'),
    status: '状态',
    todo: '处理建议',
    testText: (c: string, h: string) => `${h} 上的通知渠道「${c}」工作正常，certkeeper 会把告警发到这里。`,
    nothing: '无需处理',
    fallbackTitle: (n: string) => `certkeeper：证书 ${n} 由备用 CA 签发`,
    fallbackFrom: '失败的 CA',
    fallbackTo: '签发 CA',
    fallbackTodo: '暂无需处理，下次续期会先试第一个 CA。如反复出现，请检查第一个 CA（状态页、网络、代理）。',
  },
} as const;

/** What a person should do, by error code; short, concrete, no secrets. */
function advice(lang: Language, name: string, code: string | undefined, stage: 'issue' | 'deploy'): string {
  const rerun = `certkeeper renew --now --only ${name}`;
  const zh = lang === 'zh';
  if (stage === 'deploy') return zh ? `运行 nginx -t 查看配置错误，修复后执行 ${rerun}；旧证书仍在使用。` : `Run nginx -t to see the configuration error, fix it, then run ${rerun}; the old certificate is still in use.`;
  switch (code) {
    case 'DNS_AUTH':
      return zh ? `检查 DNS 服务商的 AccessKey/密钥是否有效、有解析权限，修复后执行 ${rerun}。` : `Check the DNS provider credentials (valid, allowed to edit records), then run ${rerun}.`;
    case 'PROPAGATION':
      return zh ? `TXT 记录未生效：检查域名的 NS 是否指向该 DNS 服务商，然后执行 ${rerun}。` : `The TXT record did not become visible: check the domain's NS records point at this DNS provider, then run ${rerun}.`;
    case 'ACME_RATE_LIMITED':
      return zh ? `CA 限流，certkeeper 会在限流结束后自动重试；无需操作，除非临近过期。` : `The CA is rate-limiting; certkeeper retries after the limit ends. Act only if expiry is close.`;
    default:
      return zh ? `根据上面的错误修复原因，然后执行 ${rerun}；旧证书在续期成功前保持不变。` : `Fix the cause above, then run ${rerun}; the deployed certificate stays until a renewal succeeds.`;
  }
}

function block(n: Notice, lang: Language): Block {
  const t = T[lang];
  const day = (d: Date) => d.toISOString().slice(0, 10);
  switch (n.kind) {
    case 'failure':
      return {
        title: t.failureTitle(n.name),
        lines: [
          { label: t.names, value: n.domains.join(', ') },
          { label: t.stage, value: t.stages[n.stage] },
          { label: t.error, value: n.error },
          { label: t.expires, value: n.notAfter ? t.expiresValue(daysUntil(n.notAfter, n.at), day(n.notAfter)) : t.none },
          { label: t.todo, value: advice(lang, n.name, n.code, n.stage) },
        ],
      };
    case 'expiring':
      return {
        title: t.expiringTitle(n.name, daysUntil(n.notAfter, n.at)),
        lines: [
          { label: t.names, value: n.domains.join(', ') },
          { label: t.expires, value: t.expiresValue(daysUntil(n.notAfter, n.at), day(n.notAfter)) },
          { label: t.where, value: n.where },
          { label: t.why, value: n.reason },
          { label: t.todo, value: t.expiringTodo(`certkeeper renew --now --only ${n.name}`) },
        ],
      };
    case 'success':
      return {
        title: t.successTitle(n.name),
        lines: [
          { label: t.names, value: n.domains.join(', ') },
          { label: t.validUntil, value: `${day(n.notAfter)} (${daysUntil(n.notAfter, n.at)})` },
          { label: t.status, value: t.deployed(n.deployed) },
          { label: t.todo, value: t.nothing },
        ],
      };
    case 'test':
      return { title: t.testTitle, lines: [{ value: t.testText(n.channel, n.host) }] };
    case 'fallback':
      return {
        title: t.fallbackTitle(n.name),
        lines: [
          { label: t.names, value: n.domains.join(', ') },
          { label: t.fallbackFrom, value: n.from },
          { label: t.error, value: n.error },
          { label: t.fallbackTo, value: n.to },
          { label: t.todo, value: t.fallbackTodo },
        ],
      };
  }
}

/** Renders one or several notices (merged when a channel's rate limit made them wait) as one message. */
export function render(notices: Notice[], lang: Language): Rendered {
  const blocks = notices.map((n) => block(n, lang));
  const title = blocks.length === 1 ? blocks[0]!.title : T[lang].many(blocks.length);
  const sep = lang === 'zh' ? '：' : ': ';
  const plain = (b: Block) => [b.title, ...b.lines.map((l) => (l.label ? `${l.label}${sep}${l.value}` : l.value))].join('\n');
  const md = (b: Block, level: string) => [`${level} ${b.title}`, ...b.lines.map((l) => (l.label ? `- **${l.label}**${sep}${l.value}` : l.value))].join('\n');
  const events = notices.map(asData);
  if (blocks.length === 1) return { title, text: plain(blocks[0]!), markdown: md(blocks[0]!, '###'), events };
  return {
    title,
    events,
    text: [title, ...blocks.map(plain)].join('\n\n'),
    markdown: [`### ${title}`, ...blocks.map((b) => md(b, '####'))].join('\n\n'),
  };
}

/** Cuts a UTF-8 string to at most `max` bytes without splitting a character (WeCom counts bytes). */
export function truncateBytes(s: string, max: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  let end = max - 3;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return `${buf.subarray(0, end).toString('utf8')}...`;
}

function asData(n: Notice): Record<string, unknown> {
  if (n.kind === 'test') return { kind: 'test', channel: n.channel, host: n.host, at: n.at.toISOString() };
  const notAfter = 'notAfter' in n && n.notAfter ? n.notAfter : undefined;
  return {
    kind: n.kind,
    certificate: n.name,
    domains: n.domains,
    at: n.at.toISOString(),
    ...(notAfter ? { notAfter: notAfter.toISOString(), daysLeft: daysUntil(notAfter, n.at) } : {}),
    ...('error' in n ? { error: n.error } : {}),
    ...(n.kind === 'failure' ? { stage: n.stage, code: n.code } : {}),
    ...(n.kind === 'expiring' ? { threshold: n.threshold, where: n.where, reason: n.reason } : {}),
    ...(n.kind === 'success' ? { deployed: n.deployed } : {}),
    ...(n.kind === 'fallback' ? { from: n.from, to: n.to } : {}),
  };
}
