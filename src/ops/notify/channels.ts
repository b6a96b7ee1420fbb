import type { ChannelConfig } from './config.js';
import { dingtalkSign, feishuSign } from './sign.js';
import { truncateBytes, type Rendered } from './messages.js';

export interface SendDeps {
  now: () => Date;
  signal: AbortSignal;
}

/** A vendor refused or could not be reached; `retry` when waiting may help (rate limit, 5xx, network). */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/**
 * Vendors' documented send limits, kept with a margin: WeCom 20/min per robot, DingTalk 20/min
 * (over it the robot is muted for 10 minutes), Feishu 100/min and 5/s, Slack about 1/s.
 */
export const RATE_LIMITS: Record<ChannelConfig['type'], { perMinute: number; minGapMs: number }> = {
  wecom: { perMinute: 18, minGapMs: 1000 },
  dingtalk: { perMinute: 18, minGapMs: 1000 },
  feishu: { perMinute: 90, minGapMs: 250 },
  lark: { perMinute: 90, minGapMs: 250 },
  slack: { perMinute: 50, minGapMs: 1100 },
  webhook: { perMinute: 60, minGapMs: 0 },
  email: { perMinute: 10, minGapMs: 2000 },
};

export async function sendTo(channel: ChannelConfig, msg: Rendered, deps: SendDeps): Promise<void> {
  switch (channel.type) {
    case 'wecom': {
      // text: at most 2048 bytes; markdown: 4096 (developer.work.weixin.qq.com/document/path/91770)
      const body =
        channel.format === 'text'
          ? { msgtype: 'text', text: { content: truncateBytes(msg.text, 2048) } }
          : { msgtype: 'markdown', markdown: { content: truncateBytes(msg.markdown, 4096) } };
      return checkErrcode('WeCom', await post(channel.url, body, deps), [45009, 130101]);
    }
    case 'dingtalk': {
      const url = new URL(channel.url);
      if (channel.secret) {
        const ts = deps.now().getTime();
        url.searchParams.set('timestamp', String(ts));
        url.searchParams.set('sign', dingtalkSign(channel.secret, ts)); // URLSearchParams does the URL-encoding
      }
      const body =
        channel.format === 'text'
          ? { msgtype: 'text', text: { content: msg.text } }
          : { msgtype: 'markdown', markdown: { title: msg.title, text: msg.markdown } };
      return checkErrcode('DingTalk', await post(url.toString(), body, deps), [130101, 410100]);
    }
    case 'feishu':
    case 'lark': {
      const signed: Record<string, string> = {};
      if (channel.secret) {
        const ts = Math.floor(deps.now().getTime() / 1000);
        signed.timestamp = String(ts);
        signed.sign = feishuSign(channel.secret, ts);
      }
      const r = await post(channel.url, { ...signed, msg_type: 'text', content: { text: truncateBytes(msg.text, 18_000) } }, deps);
      const j = json(r.body);
      const code = (j?.code ?? j?.StatusCode) as number | undefined;
      if (r.status >= 400 || (code !== undefined && code !== 0)) {
        throw new NotifyError(`Feishu answered HTTP ${r.status}, code ${code ?? '?'}: ${String(j?.msg ?? '').slice(0, 200)}`, code === 11232 || r.status >= 500);
      }
      return;
    }
    case 'slack': {
      const r = await post(channel.url, { text: msg.markdown.replace(/\*\*/g, '*').replace(/^#+ /gm, '') }, deps);
      if (r.status !== 200) throw new NotifyError(`Slack answered HTTP ${r.status}: ${r.body.slice(0, 100)}`, r.status === 429 || r.status >= 500);
      return;
    }
    case 'webhook': {
      const r = await post(channel.url, { title: msg.title, text: msg.text, markdown: msg.markdown, events: msg.events }, deps, channel.headers);
      if (r.status < 200 || r.status >= 300) throw new NotifyError(`webhook answered HTTP ${r.status}`, r.status === 429 || r.status >= 500);
      return;
    }
    case 'email': {
      const { sendMail } = await import('./email.js');
      return sendMail(channel, msg, deps);
    }
  }
}

async function post(url: string, body: unknown, deps: SendDeps, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([deps.signal, AbortSignal.timeout(15_000)]),
      redirect: 'error',
    });
  } catch (err) {
    // the URL carries the key or token: name only the host
    throw new NotifyError(`cannot reach ${new URL(url).host}: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? '') : (err as Error).message}`, true);
  }
  return { status: res.status, body: await res.text() };
}

function json(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** WeCom and DingTalk answer HTTP 200 with `{errcode, errmsg}`; 0 is success. */
function checkErrcode(vendor: string, r: { status: number; body: string }, retryCodes: number[]): void {
  const j = json(r.body);
  const code = j?.errcode as number | undefined;
  if (r.status === 200 && code === 0) return;
  throw new NotifyError(`${vendor} answered HTTP ${r.status}, errcode ${code ?? '?'}: ${String(j?.errmsg ?? r.body).slice(0, 200)}`, r.status >= 500 || (code !== undefined && retryCodes.includes(code)));
}
