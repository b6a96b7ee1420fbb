import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { normaliseLang, type Lang } from '../i18n/index.js';
import { dashboardSettings } from './settings.js';
import { dnsSecrets, secretsOf } from '../ops/notify/scrub.js';
import type { ActionStart, PassAction, PassOutcome } from '../scheduler/daemon.js';
import { CSS, JS } from './assets.js';
import { renderDetail, renderLogin, renderNotFound } from './detail.js';
import { gatherDetail, gatherFacts, type ExtraSources } from './gather.js';
import type { PassHistory } from './history.js';
import { escapeHtml } from './html.js';
import { href, type Viewer } from './layout.js';
import { renderOverview } from './overview.js';
import { Sessions, sameSecret, type Session } from './session.js';
import { dashboardText } from './text.js';
import { certificateView, overviewView } from './view.js';

/** What the dashboard needs from the daemon: its passes, to start one for a person. */
export interface PassStarter {
  runAction(action: PassAction): ActionStart;
  /** A pass is running (the events may not have said so yet). */
  readonly busy: boolean;
}

export interface DashboardDeps {
  /** The configuration in force (it changes on SIGHUP). */
  config: () => Config;
  history: PassHistory;
  logger: Logger;
  passes?: () => PassStarter | undefined;
  extra?: ExtraSources;
  now?: () => Date;
}

/**
 * Strict: only the daemon's own stylesheet and script, no inline code or styles, no frames, forms
 * post only here. A page that somehow carried injected markup still could not run it.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on form posts, and the origin check needs it.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};
const MAX_BODY = 4096;
const SESSION_COOKIE = 'ck_session';
const LANG_COOKIE = 'ck_lang';

export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The dashboard's routes on the ops endpoint: GET / and /cert/NAME (server-rendered, complete without
 * JavaScript), its two assets, and — only with actions and a token — sign-in, sign-out and the two
 * actions as POSTs carrying the session's CSRF token. Returns false for any other path.
 */
export function dashboardHandler(deps: DashboardDeps): DashboardHandler {
  const now = deps.now ?? (() => new Date());
  let sessions: { ttl: number; store: Sessions } | undefined;
  const sessionsFor = (ttl: number) => (sessions?.ttl === ttl ? sessions.store : (sessions = { ttl, store: new Sessions(ttl, () => now().getTime()) }).store);

  return (req, res) => {
    const config = deps.config();
    const settings = dashboardSettings(config.server);
    if (!settings) return false;
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && path === '/assets/dashboard.css') return asset(req, res, CSS, 'text/css; charset=utf-8');
    if (get && path === '/assets/dashboard.js') return asset(req, res, JS, 'text/javascript; charset=utf-8');
    const routes = new Set(['/', '/login', '/logout', '/actions/renew', '/actions/deploy']);
    if (!routes.has(path) && !path.startsWith('/cert/')) return false;

    const store = settings.actions ? sessionsFor(settings.sessionTtlMs) : undefined;
    const cookies = parseCookies(req.headers.cookie);
    const session = store?.get(cookies[SESSION_COOKIE]);
    const chosen = normaliseLang(url.searchParams.get('lang') ?? undefined);
    const lang = chosen ?? normaliseLang(cookies[LANG_COOKIE]) ?? fromAcceptLanguage(req.headers['accept-language']) ?? normaliseLang(config.notify.language) ?? 'en';
    const headers: Record<string, string | string[]> = { ...SECURITY_HEADERS };
    const cookieOut: string[] = [];
    if (chosen) cookieOut.push(cookie(LANG_COOKIE, chosen, 365 * 86_400, req));
    const viewer: Viewer = {
      lang,
      t: dashboardText(lang),
      path,
      actions: !settings.actions ? 'off' : session ? 'signed-in' : 'signed-out',
      ...(session ? { csrf: session.csrf } : {}),
      ...(session?.notice ? { notice: session.notice } : {}),
    };
    if (session) delete session.notice;
    const secrets = pageSecrets(config);
    const running = deps.history.running || Boolean(deps.passes?.()?.busy);
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      if (cookieOut.length) headers['set-cookie'] = cookieOut;
      res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : withoutSecrets(body, secrets));
    };
    const redirect = (to: string) => {
      if (cookieOut.length) headers['set-cookie'] = cookieOut;
      res.writeHead(303, { ...headers, location: to }).end();
    };
    const fail = (err: unknown) => {
      deps.logger.error({ err: (err as Error).message, path }, 'dashboard page failed');
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('dashboard error; see the daemon log\n');
    };

    if (get) {
      if (path === '/') {
        gatherFacts(config, deps.history, now(), deps.extra)
          .then((facts) => send(200, renderOverview(overviewView(facts, { passes: deps.history.passes, alerts: deps.history.alerts, nextCheck: deps.history.nextCheck, running }, now()), viewer)))
          .catch(fail);
        return true;
      }
      if (path.startsWith('/cert/')) {
        const name = safeDecode(path.slice('/cert/'.length));
        const cert = config.certificates.find((c) => c.name === name);
        if (!cert) {
          send(404, renderNotFound(name ?? '', viewer));
          return true;
        }
        gatherFacts(config, deps.history, now(), deps.extra, cert.name)
          .then(async ([facts]) => {
            const detail = await gatherDetail(cert, facts!.stored.state === 'ok' ? facts!.stored.cert.fullchainPem : undefined);
            send(200, renderDetail(certificateView(facts!, now()), detail, viewer, running));
          })
          .catch(fail);
        return true;
      }
      if (path === '/login') {
        send(settings.actions ? 200 : 404, settings.actions ? renderLogin(viewer) : renderLogin(viewer, viewer.t.login.off));
        return true;
      }
    }
    if (req.method !== 'POST' || !store) {
      res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
      return true;
    }
    // Every POST: same origin only (a browser always sends Origin on a POST), then a small form body.
    if (!sameOrigin(req)) {
      send(403, renderLogin(viewer, viewer.t.actions.refused));
      return true;
    }
    readForm(req)
      .then((form) => {
        if (path === '/login') {
          const r = store.signIn(settings.token!, form.get('token') ?? '');
          if ('refused' in r) {
            deps.logger.warn({ reason: r.refused }, 'dashboard sign-in refused');
            send(r.refused === 'throttled' ? 429 : 403, renderLogin(viewer, r.refused === 'throttled' ? viewer.t.login.throttled : viewer.t.login.wrong));
            return;
          }
          deps.logger.info('dashboard sign-in');
          cookieOut.push(cookie(SESSION_COOKIE, r.session.id, Math.floor(settings.sessionTtlMs / 1000), req));
          redirect(href({ path }, '/'));
          return;
        }
        if (!session || !validCsrf(session, form.get('csrf'))) {
          send(403, renderLogin(viewer, viewer.t.actions.refused));
          return;
        }
        if (path === '/logout') {
          store.drop(session.id);
          cookieOut.push(cookie(SESSION_COOKIE, '', 0, req));
          redirect(href({ path }, '/'));
          return;
        }
        const name = form.get('name') ?? '';
        const action: PassAction = { kind: path === '/actions/renew' ? 'renew' : 'deploy', name };
        redirect(startAction(action, session, viewer, deps));
      })
      .catch(fail);
    return true;
  };
}

/** Starts the pass and answers at once; the page shows the pass running and then its outcome. */
function startAction(action: PassAction, session: Session, v: Viewer, deps: DashboardDeps): string {
  const label = `${action.kind === 'renew' ? v.t.actions.renew : v.t.actions.deploy} (${action.name})`;
  const start = deps.passes?.()?.runAction(action) ?? ({ started: false, reason: 'stopping' } as const);
  const back = href(v, deps.config().certificates.some((c) => c.name === action.name) ? `/cert/${encodeURIComponent(action.name)}` : '/');
  if (!start.started) {
    deps.logger.warn({ action: action.kind, cert: action.name, reason: start.reason }, 'dashboard action refused');
    session.notice = { kind: 'error', text: start.reason === 'busy' ? v.t.actions.busy : v.t.actions.failed(label, start.reason) };
    return back;
  }
  deps.logger.info({ action: action.kind, cert: action.name }, 'dashboard action started');
  void start.done.then((o: PassOutcome) => {
    const r = o.results?.find((x) => x.name === action.name);
    const why = o.error ?? (r?.result === 'failed' ? r.error.message : undefined);
    session.notice = why === undefined ? { kind: 'ok', text: v.t.actions.done(label) } : { kind: 'error', text: v.t.actions.failed(label, why) };
  });
  return back;
}

function asset(req: IncomingMessage, res: ServerResponse, body: string, type: string): true {
  res.writeHead(200, { ...SECURITY_HEADERS, 'cache-control': 'max-age=300', 'content-type': type }).end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function validCsrf(session: Session, given: string | null): boolean {
  return typeof given === 'string' && sameSecret(session.csrf, given);
}

/** Origin (or, without it, Referer) must name the host the request came to. */
function sameOrigin(req: IncomingMessage): boolean {
  const from = req.headers.origin ?? req.headers.referer;
  if (!from || !req.headers.host) return false;
  try {
    return new URL(from).host === req.headers.host;
  } catch {
    return false;
  }
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('form body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** HttpOnly, SameSite=Strict; Secure when a proxy says the browser came over HTTPS. */
function cookie(name: string, value: string, maxAge: number, req: IncomingMessage): string {
  const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}

/** The first language of Accept-Language (by q) that the dashboard speaks. */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  const ranked = (header ?? '')
    .split(',')
    .map((p) => {
      const [tag, ...params] = p.trim().split(';');
      const q = Number(params.find((x) => x.trim().startsWith('q='))?.trim().slice(2) ?? 1);
      return { tag: tag!.trim(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const lang = normaliseLang(tag);
    if (lang) return lang;
  }
  return undefined;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Every configured secret value: none of them may ever appear on a page. */
export function pageSecrets(config: Config): string[] {
  const settings = dashboardSettings(config.server);
  const pfx = config.certificates.flatMap((c) => c.targets.map((t) => t.password));
  // Every CA of every certificate's chain: EAB keys, and a proxy URL's password.
  const cas = config.certificates.flatMap((c) => c.cas.flatMap((ca) => [ca.eab?.hmacKey, ca.proxy && safeUrl(ca.proxy)?.password]));
  return [...dnsSecrets(config.dns), ...secretsOf(config.notify.channels), settings?.token, config.acme.eab?.hmacKey, ...cas, ...pfx].filter((s): s is string => typeof s === 'string' && s.length >= 6);
}

function safeUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Last line of defence: a secret that reached a page anyway (an error message quoting it) is cut out. */
function withoutSecrets(body: string, secrets: string[]): string {
  let out = body;
  for (const s of secrets) out = out.split(s).join('***').split(escapeHtml(s)).join('***');
  return out;
}
