import { parseJson, startFake, type Fake } from './http-fake.js';

/**
 * Slack incoming webhook (api.slack.com/messaging/webhooks): POST /services/T/B/SECRET with a JSON
 * body that has `text`; answers 200 "ok", or 404 no_service / 400 invalid_payload / 400 no_text.
 */
export function startSlackFake(path: string): Promise<Fake> {
  return startFake((r) => {
    if (r.method !== 'POST' || r.url.pathname !== path) return { reason: 'no_service', status: 404, reply: 'no_service' };
    if (!String(r.headers['content-type']).startsWith('application/json')) return { reason: 'invalid_payload', status: 400, reply: 'invalid_payload' };
    const b = parseJson(r.body);
    if (!b) return { reason: 'invalid_payload', status: 400, reply: 'invalid_payload' };
    if (typeof b.text !== 'string' || !b.text) return { reason: 'no_text', status: 400, reply: 'no_text' };
    return { accept: b, reply: 'ok' };
  });
}
