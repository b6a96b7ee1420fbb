import { messages, normaliseLang } from '../../i18n/index.js';
import type { NotifyMessages } from '../../i18n/notify.js';
import type { Language } from './config.js';

/** One thing worth telling a person. */
export type Notice =
  | { kind: 'failure'; name: string; domains: string[]; stage: 'issue' | 'deploy'; error: string; code?: string; notAfter?: Date; at: Date }
  | { kind: 'success'; name: string; domains: string[]; notAfter: Date; deployed: boolean; at: Date }
  /** `where`: the copy in use that expires first; `reason`: why it is not being replaced. */
  | { kind: 'expiring'; name: string; domains: string[]; notAfter: Date; threshold: number; where: string; reason: string; at: Date }
  | { kind: 'test'; channel: string; host: string; at: Date }
  /** The shared store could not be reached by `host` (down), or can again (up). */
  | { kind: 'store'; host: string; where: string; down: boolean; since: Date; reason?: string; at: Date }
  /** `node` still serves an older version of the certificate, since `since`. */
  | { kind: 'behind'; name: string; domains: string[]; node: string; serial: string; deployedSerial: string | null; since: Date; error: string | null; at: Date }
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

/** The alert texts of the catalog in the channel's language (`zh` in the configuration is zh-CN). */
function textsFor(lang: Language): NotifyMessages {
  return messages(normaliseLang(lang) ?? 'en').notify;
}

function advice(t: NotifyMessages, name: string, code: string | undefined, stage: 'issue' | 'deploy'): string {
  const rerun = `certkeeper renew --now --only ${name}`;
  if (stage === 'deploy') return t.advice.deploy(rerun);
  if (code === 'DNS_AUTH' || code === 'PROPAGATION') return t.advice[code](rerun);
  if (code === 'ACME_RATE_LIMITED') return t.advice.ACME_RATE_LIMITED;
  return t.advice.other(rerun);
}

function block(n: Notice, t: NotifyMessages): Block {
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
          { label: t.todo, value: advice(t, n.name, n.code, n.stage) },
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
    case 'store':
      return {
        title: n.down ? t.storeDownTitle(n.host) : t.storeUpTitle(n.host),
        lines: [
          { label: t.store, value: n.where },
          { label: t.since, value: n.since.toISOString() },
          ...(n.reason ? [{ label: t.error, value: n.reason }] : []),
          { label: t.todo, value: n.down ? t.storeDownTodo : t.nothing },
        ],
      };
    case 'behind':
      return {
        title: t.behindTitle(n.name, n.node),
        lines: [
          { label: t.names, value: n.domains.join(', ') },
          { label: t.host, value: n.node },
          { label: t.serves, value: n.deployedSerial ?? t.nothingDeployed },
          { label: t.current, value: `${n.serial} (${t.since} ${n.since.toISOString()})` },
          ...(n.error ? [{ label: t.error, value: n.error }] : []),
          { label: t.todo, value: t.behindTodo(n.node) },
        ],
      };
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
  const t = textsFor(lang);
  const blocks = notices.map((n) => block(n, t));
  const title = blocks.length === 1 ? blocks[0]!.title : t.many(blocks.length);
  const sep = t.labelSep;
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
  if (n.kind === 'store') return { kind: n.down ? 'store-unavailable' : 'store-available', host: n.host, store: n.where, since: n.since.toISOString(), at: n.at.toISOString(), ...(n.reason ? { error: n.reason } : {}) };
  if (n.kind === 'behind') {
    return { kind: 'host-behind', certificate: n.name, domains: n.domains, host: n.node, serial: n.serial, deployedSerial: n.deployedSerial, since: n.since.toISOString(), at: n.at.toISOString(), ...(n.error ? { error: n.error } : {}) };
  }
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
