import type { CertificateDetail } from './gather.js';
import { html, type Html } from './html.js';
import { actionForm, duration, href, page, timelineSvg, utc, when, type Viewer } from './layout.js';
import { statusLine } from './overview.js';
import type { CertificateView } from './view.js';

/** One certificate: names, chain, fingerprint, attempts, targets, deployed files and served checks. */
export function renderDetail(c: CertificateView, d: CertificateDetail, v: Viewer, running: boolean): string {
  const t = v.t;
  const dt = t.detail;
  const dl = (rows: [string, Html | string | undefined][]) => html`<dl class="facts">${rows.map(([k, val]) => html`<dt>${k}</dt><dd>${val ?? '–'}</dd>`)}</dl>`;
  const body = html`<p><a href="${href(v, '/')}">← ${dt.back}</a></p>
<h1>${c.name} <span class="badge ${c.health}">${t.health[c.health]}</span></h1>
${v.actions === 'signed-in' ? html`<div class="actions">${actionForm(v, '/actions/renew', t.actions.renew, { name: c.name })} ${c.targets.length ? actionForm(v, '/actions/deploy', t.actions.deploy, { name: c.name }) : ''}</div>` : ''}
${c.timeline ? timelineSvg(c.timeline, t.timelineLabel(utc(c.notAfter!), c.renewAt && utc(c.renewAt), Boolean(c.timeline.ari)), t) : ''}
${dl([
  [dt.names, c.domains.join(', ')],
  [t.col.issuer, c.issuer],
  [dt.keyType, c.keyType],
  [dt.serial, c.serial && html`<code id="serial">${c.serial}</code>`],
  [dt.fingerprint, c.fingerprint && html`<code class="wrap">${c.fingerprint}</code>`],
  [dt.validity, c.notBefore && html`${when(c.notBefore)} – ${when(c.notAfter)} (${t.days(c.daysLeft!)})`],
  [dt.reason, html`${statusLine(c, v)} <span class="why">${c.reason}</span>`],
  [dt.lastError, c.lastError && html`<span class="error">${c.lastError}</span>${c.lastFailure ? html` (${when(c.lastFailure)})` : ''}`],
])}
<section aria-labelledby="attempts-h"><h2 id="attempts-h">${dt.attempts}</h2>
${table(dt.attempts, [dt.attemptCols.at, dt.attemptCols.outcome, dt.attemptCols.duration, dt.attemptCols.error], c.attempts.map((a) => [when(a.at), dt.outcome[a.outcome], duration(a.ms), a.error ?? '']))}
</section>
<section aria-labelledby="targets-h"><h2 id="targets-h">${dt.targets}</h2>
${table(dt.targets, [dt.targetCols.id, dt.targetCols.kind, dt.targetCols.where, dt.targetCols.serial, dt.targetCols.state], c.targets.map((x) => [x.id, x.type, x.where, x.serial && html`<code>${x.serial}</code>`, x.error ? dt.unreadable(x.error) : deployState(x, v, x.kind === 'cloud' ? dt.notDeployed : '–')]))}
</section>
${c.hosts ? html`<section aria-labelledby="hosts-h"><h2 id="hosts-h">${dt.hosts}</h2>
${table(dt.hosts, [dt.hostCols.host, dt.hostCols.serial, dt.hostCols.deployedAt, dt.hostCols.state, dt.hostCols.lastSeen], c.hosts.map((h) => [h.host, h.serial && html`<code class="host-serial">${h.serial}</code>`, when(h.deployedAt), deployState(h, v, dt.notDeployed), when(h.lastSeen)]))}
</section>` : ''}
<section aria-labelledby="served-h"><h2 id="served-h">${dt.served}</h2>
${d.served.length ? table(dt.served, [dt.servedCols.address, dt.servedCols.servername, dt.servedCols.serial], d.served.map((s) => [s.address, s.servername, s.error ? dt.unreadable(s.error) : html`<code class="served-serial">${s.serial}</code>${s.serial === c.serial ? '' : html` <span class="badge due">${t.behind(1)}</span>`}`])) : html`<p>${dt.noServed}</p>`}
</section>
<section aria-labelledby="files-h"><h2 id="files-h">${dt.files}</h2>
${table(dt.files, [dt.fileCols.target, dt.fileCols.role, dt.fileCols.path, dt.fileCols.serial], d.files.map((f) => [f.target, f.role === 'key' ? dt.keyFile : f.role, f.path, f.error ? dt.unreadable(f.error) : f.serial && html`<code>${f.serial}</code>`]))}
</section>
<section aria-labelledby="chain-h"><h2 id="chain-h">${dt.chain}</h2>
${table(dt.chain, [dt.chainCols.subject, dt.chainCols.issuer, dt.chainCols.serial, dt.chainCols.notAfter], d.chain.map((x) => [x.subject, x.issuer, html`<code>${x.serial}</code>`, when(x.notAfter)]))}
</section>`;
  return page(v, c.name, body, { refresh: running });
}

/** Behind, current or `none` (no serial known), and the last deploy's error when it failed. */
function deployState(x: { serial?: string; behind: boolean; lastError?: string }, v: Viewer, none: string): Html {
  const t = v.t;
  const state = x.behind ? html`<span class="badge due">${t.behind(1)}</span>` : x.serial ? t.detail.current : none;
  return x.lastError ? html`${state} <span class="error">${t.detail.deployFailed(x.lastError)}</span>` : html`${state}`;
}

function table(caption: string, head: string[], rows: (Html | string | undefined)[][]): Html {
  if (!rows.length) return html`<p>–</p>`;
  return html`<table><caption class="visually-hidden">${caption}</caption><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((cell) => html`<td>${cell ?? '–'}</td>`)}</tr>`,
  )}</tbody></table>`;
}

export function renderNotFound(name: string, v: Viewer): string {
  return page(v, v.t.detail.notFound(name), html`<h1>${v.t.detail.notFound(name)}</h1><p><a href="${href(v, '/')}">${v.t.detail.back}</a></p>`);
}

export function renderLogin(v: Viewer, message?: string): string {
  const t = v.t.login;
  return page(
    v,
    t.title,
    html`<h1>${t.title}</h1>${message ? html`<p class="notice error" role="alert">${message}</p>` : ''}
<form method="post" action="${href(v, '/login')}" class="login"><label for="token">${t.token}</label> <input id="token" name="token" type="password" autocomplete="current-password" required> <button type="submit">${t.submit}</button></form>`,
  );
}
