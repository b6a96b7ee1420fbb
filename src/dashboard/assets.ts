/**
 * The dashboard's only assets, served by the daemon itself (no CDN: many installations are offline or
 * behind a firewall that blocks them). Colours keep a contrast of at least 4.5:1 against their
 * background (WCAG 2 AA); the page is complete without the script.
 */
export const CSS = `:root{--fg:#1b1f24;--muted:#4a5360;--bg:#fff;--line:#d0d7de;--ok:#116329;--okbg:#dafbe1;--due:#7a4700;--duebg:#fff1c2;--bad:#a40e26;--badbg:#ffebe9;--link:#0550ae}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header nav{display:flex;gap:16px;align-items:center;flex-wrap:wrap;padding:10px 20px;border-bottom:1px solid var(--line);background:#f6f8fa}
.brand{font-weight:700;color:var(--fg);text-decoration:none;margin-right:auto}
main{padding:8px 20px 40px;max-width:1400px}
h1{font-size:1.5em;margin:.6em 0 .3em}h2{font-size:1.2em;margin:1.4em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
thead th{font-size:.85em;color:var(--muted);font-weight:600}
td.num{text-align:right;white-space:nowrap}
.tl{width:180px}
.timeline{width:100%;height:14px;display:block}
.timeline .life{fill:#d0d7de}.timeline .renewal{fill:#bf8700}.timeline .ari{fill:#0969da}.timeline .now{fill:#1b1f24}
.legend{font-size:.85em;color:var(--muted)}
.key{display:inline-block;width:12px;height:8px;margin:0 4px 0 10px}.key.renewal{background:#bf8700}.key.ari{background:#0969da}.key.now{background:#1b1f24;width:3px}
.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:.85em;font-weight:600;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--okbg)}.badge.due{color:var(--due);background:var(--duebg)}
.badge.failing,.badge.expired,.badge.missing{color:var(--bad);background:var(--badbg)}
.why{display:block;font-size:.85em;color:var(--muted)}.error{color:var(--bad)}
.notice{padding:8px 12px;border-radius:6px}.notice.ok{background:var(--okbg);color:var(--ok)}.notice.error{background:var(--badbg);color:var(--bad)}
.hint{color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}.facts dt{font-weight:600}.facts dd{margin:0}
code{font:13px ui-monospace,Menlo,Consolas,monospace}.wrap{word-break:break-all}
form.inline{display:inline}
button{font:inherit;padding:4px 12px;border:1px solid #1f6feb;border-radius:6px;background:#0550ae;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #0969da;outline-offset:2px}
header button{background:#fff;color:var(--link)}
.actions{margin:.5em 0}
.login input{font:inherit;padding:4px 8px;border:1px solid var(--muted);border-radius:6px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:800px){.certs th:nth-child(2),.certs td:nth-child(2),.certs th:nth-child(3),.certs td:nth-child(3){display:none}}
`;

/** Progressive enhancement only: times in the browser's own zone, and a confirmation before an action. */
export const JS = `"use strict";
document.querySelectorAll("time[datetime]").forEach(function (t) {
  var d = new Date(t.getAttribute("datetime"));
  if (isNaN(d)) return;
  t.title = t.textContent;
  t.textContent = d.toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
});
document.querySelectorAll("form[action*='actions/']").forEach(function (f) {
  f.addEventListener("submit", function (e) {
    var b = f.querySelector("button");
    if (!window.confirm(b.textContent + "?")) e.preventDefault();
  });
});
`;
