import { describe, expect, it } from 'vitest';
import { rememberHttp } from '../../src/acme/http-settings.js';

// No static import of http.ts: this file checks settings recorded before it loads.
describe('CA HTTP settings recorded before the HTTP code loads', () => {
  it('apply when http.ts loads, and later ones at once', async () => {
    for (const v of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) delete process.env[v];
    rememberHttp([{ directory: 'https://ca.test/dir' }], { defaultProxy: 'http://127.0.0.1:3128' });
    const { caConnections, caProxyFor } = await import('../../src/acme/http.js');
    // The default proxy recorded before the load routes requests to hosts other than the CAs (a CA
    // without `proxy` of its own is reached directly).
    const first = caConnections();
    expect(caProxyFor('https://api.zerossl.test/acme/eab-credentials-email')).toBe('http://127.0.0.1:3128');
    expect(caProxyFor('https://ca.test/dir')).toBeUndefined();
    rememberHttp([{ directory: 'https://other.test/dir', proxy: 'http://127.0.0.1:3129' }]);
    // A setting recorded after the load applies to the next request, over new connections.
    expect(caProxyFor('https://other.test/new-order')).toBe('http://127.0.0.1:3129');
    expect(caConnections()).not.toBe(first);
  });
});
