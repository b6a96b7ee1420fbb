import * as z from 'zod';
import { onFirstUse } from '../../config/fields.js';

export const EVENTS = ['failure', 'success', 'expiring'] as const;
export type NotifyOn = (typeof EVENTS)[number];
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * The channels, built when a configuration lists one: six objects of zod schemas that `renew --now`
 * and `status` with no channels need not build.
 */
export const channelSchema = onFirstUse(() => {
  const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
  const common = {
    name: z.string().optional().describe('label for logs and `notify test` (default: type and position)'),
    on: z.array(z.enum(EVENTS)).min(1).default(['failure', 'expiring']).describe('which events to send: failure, success, expiring'),
    language: z.enum(LANGUAGES).optional().describe('overrides notify.language for this channel'),
  };

  const wecom = z
    .object({
      type: z.literal('wecom'),
      url: httpUrl.describe('the robot webhook URL, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY'),
      format: z.enum(['markdown', 'text']).default('markdown').describe('message format: markdown, or text for plain clients'),
      ...common,
    })
    .strict();
  const dingtalk = z
    .object({
      type: z.literal('dingtalk'),
      url: httpUrl.describe('the robot webhook URL, https://oapi.dingtalk.com/robot/send?access_token=TOKEN'),
      secret: z.string().min(1).optional().describe('the robot signing secret (SEC...), when the robot uses 加签'),
      format: z.enum(['markdown', 'text']).default('markdown').describe('message format: markdown, or text for plain clients'),
      ...common,
    })
    .strict();
  const feishu = z
    .object({
      type: z.enum(['feishu', 'lark']),
      url: httpUrl.describe('the bot webhook URL, https://open.feishu.cn/open-apis/bot/v2/hook/ID (Lark: open.larksuite.com)'),
      secret: z.string().min(1).optional().describe('the bot signing secret, when the bot uses signature verification'),
      ...common,
    })
    .strict();
  const slack = z.object({ type: z.literal('slack'), url: httpUrl.describe('the incoming webhook URL'), ...common }).strict();
  const webhook = z
    .object({
      type: z.literal('webhook'),
      url: httpUrl.describe('receives a POST with a JSON body (see the docs for its fields)'),
      headers: z.record(z.string(), z.string()).default({}).describe('extra request headers, e.g. Authorization'),
      ...common,
    })
    .strict();
  const email = z
    .object({
      type: z.literal('email'),
      host: z.string().min(1).describe('SMTP server'),
      port: z.number().int().min(1).max(65535).default(587).describe('SMTP port: 587 for STARTTLS; 465 means TLS from the first byte unless secure says otherwise'),
      secure: z.boolean().optional().describe('TLS from the first byte (port 465); otherwise STARTTLS when offered'),
      requireTLS: z
        .boolean()
        .optional()
        .describe('refuse to send unless STARTTLS succeeds; default: on when user/password are set and secure is not, so the password never crosses the network in clear. false allows AUTH without TLS (warned about)'),
      user: z.string().optional().describe('SMTP login name, when the server asks for one'),
      password: z.string().optional().describe('use ${ENV} interpolation; never write it into the file'),
      from: z.string().min(3).describe('sender, e.g. "certkeeper <ops@example.com>"'),
      to: z.array(z.string().min(3)).min(1).describe('recipients'),
      ...common,
    })
    .strict();

  return z.discriminatedUnion('type', [wecom, dingtalk, feishu, slack, webhook, email]);
});
export type ChannelConfig = z.output<ReturnType<typeof channelSchema>>;

/**
 * `notify:` is either a list of channels or `{ language, channels }`; both normalise to the object.
 */
export const notifySchema = z
  .preprocess(
    (v) => (Array.isArray(v) ? { channels: v } : v),
    z
      .object({
        language: z.enum(LANGUAGES).default('en').describe('message language: en or zh'),
        channels: z.array(z.lazy(channelSchema)).default([]).describe('where alerts go; type picks the channel'),
      })
      .strict(),
  )
  .prefault({})
  .describe('alert channels: WeCom, DingTalk, Feishu/Lark, Slack, webhook, email');
export type NotifyConfig = z.output<typeof notifySchema>;
