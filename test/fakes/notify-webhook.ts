import { parseJson, startFake, type Fake } from './http-fake.js';

/** A receiver for the generic webhook: bearer token required, body {title, text, markdown, events[]}. */
export function startWebhookFake(token: string): Promise<Fake> {
  return startFake((r) => {
    if (r.headers.authorization !== `Bearer ${token}`) return { reason: 'unauthorized', status: 401, reply: 'unauthorized' };
    const b = parseJson(r.body);
    if (!b || typeof b.title !== 'string' || typeof b.text !== 'string' || typeof b.markdown !== 'string' || !Array.isArray(b.events)) {
      return { reason: 'bad body', status: 400, reply: 'bad body' };
    }
    return { accept: b, status: 204, reply: '' };
  });
}
