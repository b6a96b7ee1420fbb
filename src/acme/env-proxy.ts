/** Which proxy, if any, a request to `host:port` goes through. */
export type ProxyFor = (host: string, port: number, secure: boolean) => string | undefined;

/**
 * The proxy the environment names, read as acme-client's axios read it (proxy-from-env):
 * `https_proxy` for https URLs, `http_proxy` for http ones (lower case first), except for the hosts
 * `no_proxy` lists ("*", "name" exactly, ".name" or "*.name" for the names under it, each with an
 * optional ":port"). Undefined when the environment names no proxy. Pure.
 */
export function environmentProxy(env: NodeJS.ProcessEnv = process.env): ProxyFor | undefined {
  const get = (name: string) => env[name] || env[name.toUpperCase()] || undefined;
  const https = get('https_proxy');
  const http = get('http_proxy');
  if (!https && !http) return undefined;
  const exceptions = (get('no_proxy') ?? '').toLowerCase().split(/[\s,]+/).filter(Boolean);
  return (host, port, secure) => {
    const proxy = secure ? https : http;
    return proxy && !exceptions.some((e) => bypasses(e, host.toLowerCase(), port)) ? proxy : undefined;
  };
}

function bypasses(entry: string, host: string, port: number): boolean {
  if (entry === '*') return true;
  const m = /^(.+?)(?::(\d+))?$/.exec(entry)!;
  if (m[2] && Number(m[2]) !== port) return false;
  const name = m[1]!;
  if (name.startsWith('*.') || name.startsWith('.')) return host.endsWith(name.replace(/^\*/, ''));
  return host === name;
}
