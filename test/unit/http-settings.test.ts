import { Agent as HttpsAgent } from 'node:https';
import { describe, expect, it } from 'vitest';
import { rememberHttp } from '../../src/acme/http-settings.js';

// No static import of http.ts: this file checks settings recorded before it loads.
describe('CA HTTP settings recorded before the HTTP code loads', () => {
  it('apply when http.ts loads, and later ones at once', async () => {
    for (const v of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) delete process.env[v];
    rememberHttp([{ directory: 'https://ca.test/dir' }], { defaultProxy: 'http://127.0.0.1:3128' });
    const { caAgents } = await import('../../src/acme/http.js');
    // The default proxy recorded before the load: requests go through the routing (proxy) agent, not a plain HTTPS one.
    const first = caAgents();
    expect(first.https).not.toBeInstanceOf(HttpsAgent);
    rememberHttp([{ directory: 'https://other.test/dir', proxy: 'http://127.0.0.1:3129' }]);
    // A setting recorded after the load changes the agents the next request gets.
    expect(caAgents()).not.toBe(first);
  });
});
