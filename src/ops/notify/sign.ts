import { createHmac } from 'node:crypto';

/**
 * DingTalk custom robot (open.dingtalk.com/document/group/custom-robot-access): the secret is the
 * HMAC key, the message is `timestamp + "\n" + secret` with the timestamp in MILLISECONDS; the
 * base64 digest goes URL-encoded into the query string next to `timestamp`.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/**
 * Feishu/Lark custom bot (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): the reverse —
 * `timestamp + "\n" + secret` is the HMAC KEY and the message is empty; the timestamp is in SECONDS,
 * and both go into the JSON body, not the URL.
 */
export function feishuSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}
