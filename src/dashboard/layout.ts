import type { Lang } from '../i18n/index.js';
import { html, type Html } from './html.js';
import type { DashboardText } from './text.js';
import type { Span, Timeline } from './view.js';

/** Who is looking: the language, whether actions exist, and the signed-in session's CSRF token. */
export interface Viewer {
  lang: Lang;
  t: DashboardText;
  /** The page's own path: links are relative to it, so the dashboard also works under a proxy's sub-path. */
  path: string;
  actions: 'off' | 'signed-out' | 'signed-in';
  csrf?: string;
  /** One line about the last action or a refused form, shown once at the top. */
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** "2026-12-01 04:30 UTC": the same on every server; the script shows it in the browser's own time zone. */
export function when(d: Date | undefined): Html {
  return d ? html`<time datetime="${d.toISOString()}">${utc(d)}</time>` : html`–`;
}

export function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * A dashboard path as a link relative to the page being rendered (`cert/x` from `/` is `./cert/x`,
 * from `/cert/y` it is `../cert/x`): behind `location /certkeeper/ { proxy_pass http://…/; }` every
 * link stays under `/certkeeper/`.
 */
export function href(v: Pick<Viewer, 'path'>, to: string): string {
  const depth = v.path.split('?')[0]!.split('/').length - 2;
  return `${depth > 0 ? '../'.repeat(depth) : './'}${to.replace(/^\//, '')}`;
}

/** A form posting one action with the session's CSRF token. */
export function actionForm(v: Viewer, path: string, label: string, fields: Record<string, string> = {}): Html {
  return html`<form method="post" action="${href(v, path)}" class="inline"><input type="hidden" name="csrf" value="${v.csrf ?? ''}">${Object.entries(fields).map(
    ([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`,
  )}<button type="submit">${label}</button></form>`;
}

/** The certificate's lifetime as a bar: the renewal window, the CA's window and now drawn on it. */
export function timelineSvg(tl: Timeline, label: string, t: DashboardText): Html {
  const rect = (s: Span | undefined, cls: string, y: number, h: number) =>
    s && s.to > s.from ? html`<rect class="${cls}" x="${pct(s.from)}" y="${y}" width="${pct(s.to - s.from)}" height="${h}"></rect>` : '';
  return html`<svg class="timeline" viewBox="0 0 100 12" preserveAspectRatio="none" role="img" aria-label="${label}"><title>${label}</title><rect class="life" x="0" y="3" width="100" height="6"></rect>${rect(tl.renewal, 'renewal', 3, 6)}${rect(tl.ari, 'ari', 0, 3)}<rect class="now" x="${pct(Math.min(tl.now, 0.99))}" y="0" width="1" height="12"><title>${t.legend.now}</title></rect></svg>`;
}

function pct(x: number): string {
  return (x * 100).toFixed(2);
}

/** The page around every view: landmarks, navigation, language switch, sign in or out. */
export function page(v: Viewer, title: string, body: Html, opts: { refresh?: boolean } = {}): string {
  const t = v.t;
  const other = v.lang === 'zh-CN' ? 'en' : 'zh-CN';
  const account =
    v.actions === 'signed-in'
      ? actionForm(v, '/logout', t.nav.signOut)
      : v.actions === 'signed-out'
        ? html`<a href="${href(v, '/login')}">${t.nav.signIn}</a>`
        : '';
  return `<!doctype html>\n${html`<html lang="${v.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.refresh ? html`<meta http-equiv="refresh" content="5">` : ''}
<title>${title} · certkeeper</title>
<link rel="stylesheet" href="${href(v, '/assets/dashboard.css')}">
<script src="${href(v, '/assets/dashboard.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">${t.skip}</a>
<header>
<nav aria-label="certkeeper">
<a href="${href(v, '/')}" class="brand">${t.title}</a>
<a href="${href(v, '/')}">${t.nav.overview}</a>
<a href="?lang=${other}" lang="${other}" hreflang="${other}">${t.nav.language}</a>
${account}
</nav>
</header>
<main id="main">
${v.notice ? html`<p class="notice ${v.notice.kind}" role="status">${v.notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`.text}\n`;
}
