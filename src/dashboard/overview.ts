import { html, type Html } from './html.js';
import { duration, href, page, timelineSvg, utc, when, type Viewer } from './layout.js';
import type { CertificateView, OverviewView } from './view.js';

/** The overview: "are we safe for the next month?" — every certificate, then passes and alerts. */
export function renderOverview(o: OverviewView, v: Viewer): string {
  const t = v.t;
  const body = html`<h1>${t.certificates}</h1>
<p class="summary">${t.summary(o.certificates.length, o.soonest)} ${(['expired', 'failing', 'missing', 'due', 'ok'] as const)
    .filter((h) => o.counts[h] > 0)
    .map((h) => html`<span class="badge ${h}">${t.health[h]}: ${o.counts[h]}</span> `)}</p>
${v.actions === 'off' ? html`<p class="hint">${t.readOnly}</p>` : v.actions === 'signed-out' ? html`<p class="hint">${t.actionsSignedOut}</p>` : ''}
${o.certificates.length ? certificateTable(o, v) : html`<p>${t.none}</p>`}
<section aria-labelledby="passes-h">
<h2 id="passes-h">${t.passes}</h2>
<p>${o.running ? html`<strong>${t.running}</strong> ` : ''}${t.nextCheck(o.nextCheck && utc(o.nextCheck))}</p>
${o.passes.length
    ? html`<table><caption class="visually-hidden">${t.passes}</caption><thead><tr><th scope="col">${t.passCols.started}</th><th scope="col">${t.passCols.duration}</th><th scope="col">${t.passCols.result}</th></tr></thead><tbody>${o.passes.map(
        (p) => html`<tr><td>${when(p.startedAt)}</td><td>${duration(p.ms)}</td><td>${p.interrupted ? t.passInterrupted(p.certificates) : t.passResult(p.certificates, p.renewed, p.failed, !p.endedAt)}</td></tr>`,
      )}</tbody></table>`
    : html`<p>${t.noPasses}</p>`}
</section>
<section aria-labelledby="alerts-h">
<h2 id="alerts-h">${t.alerts}</h2>
${o.alerts.length
    ? html`<ul class="alerts">${o.alerts.slice(0, 20).map((a) => html`<li>${when(a.at)} <span class="badge ${a.kind === 'expiring' ? 'due' : 'failing'}">${t.alertKind[a.kind]}</span> <a href="${href(v, `/cert/${encodeURIComponent(a.name)}`)}">${a.name}</a>: ${a.text}</li>`)}</ul>`
    : html`<p>${t.noAlerts}</p>`}
</section>`;
  return page(v, t.nav.overview, body, { refresh: o.running });
}

function certificateTable(o: OverviewView, v: Viewer): Html {
  const t = v.t;
  return html`<table class="certs"><caption class="visually-hidden">${t.certificates}</caption>
<thead><tr><th scope="col">${t.col.name}</th><th scope="col">${t.col.domains}</th><th scope="col">${t.col.issuer}</th><th scope="col">${t.col.expires}</th><th scope="col">${t.col.daysLeft}</th><th scope="col" class="tl">${t.col.timeline}</th><th scope="col">${t.col.status}</th><th scope="col">${t.col.targets}</th>${o.fleet ? html`<th scope="col">${t.col.hosts}</th>` : ''}</tr></thead>
<tbody>${o.certificates.map((c) => row(c, o, v))}</tbody></table>
<p class="legend" aria-hidden="true"><span class="key renewal"></span>${t.legend.renewal} <span class="key ari"></span>${t.legend.ari} <span class="key now"></span>${t.legend.now}</p>`;
}

function row(c: CertificateView, o: OverviewView, v: Viewer): Html {
  const t = v.t;
  return html`<tr class="${c.health}">
<th scope="row"><a href="${href(v, `/cert/${encodeURIComponent(c.name)}`)}">${c.name}</a></th>
<td>${c.domains.join(', ')}</td>
<td>${c.issuer ?? '–'}</td>
<td>${when(c.notAfter)}</td>
<td class="num" data-days="${c.daysLeft ?? ''}">${c.daysLeft === undefined ? '–' : t.days(c.daysLeft)}</td>
<td class="tl">${c.timeline ? timelineSvg(c.timeline, t.timelineLabel(c.notAfter!.toISOString().slice(0, 10), c.renewAt?.toISOString().slice(0, 10), Boolean(c.timeline.ari)), t) : '–'}</td>
<td><span class="badge ${c.health}">${t.health[c.health]}</span> ${statusLine(c, v)}</td>
<td>${count(c.targets, v)}</td>
${o.fleet ? html`<td class="hosts">${count(c.hosts ?? [], v)}</td>` : ''}
</tr>`;
}

/** How many, and how many of them hold another serial than the stored one. */
function count(list: { behind: boolean }[], v: Viewer): Html {
  const behind = list.filter((x) => x.behind).length;
  return html`${list.length}${behind ? html` <span class="badge due">${v.t.behind(behind)}</span>` : ''}`;
}

/** One line under the badge: the error when failing, the backoff, or what the next pass does. */
export function statusLine(c: CertificateView, v: Viewer): Html {
  const t = v.t;
  if (c.problem) return html`<span class="why">${c.problem}</span>`;
  if (c.backoff) return html`<span class="why">${t.backoffUntil(utc(c.backoff.until), c.backoff.failures)}${c.lastError ? html`: <span class="error">${c.lastError}</span>` : ''}</span>`;
  if (c.health === 'failing' && c.lastError) return html`<span class="why error">${c.lastError}</span>`;
  return html`<span class="why">${c.due ? t.due : t.notDue}</span>`;
}
