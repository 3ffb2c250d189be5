import type { SafeHtml } from './html.js';
import { html } from './html.js';

export interface Viewer {
  id: string;
  admin: boolean;
  csrf: string;
}

/** The page frame: no script anywhere, one stylesheet from this origin (see the CSP). */
export function page(title: string, body: SafeHtml, viewer?: Viewer): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · countersign</title>
        <link rel="stylesheet" href="/assets/web.css" />
      </head>
      <body>
        <header>
          <a class="brand" href="/requests">countersign</a>
          ${viewer ? navigation(viewer) : null}
        </header>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.value;
}

function navigation(viewer: Viewer): SafeHtml {
  return html`<nav>
    <a href="/me">My access</a>
    <a href="/me/passkeys">Passkeys</a>
    <a href="/requests">Requests</a>
    ${viewer.admin ? html`<a href="/admin">Admin</a> <a href="/admin/audit">Audit log</a>` : null}
    <span class="who">${viewer.id}</span>
    <form method="post" action="/auth/logout" class="inline">
      ${csrfField(viewer.csrf)}
      <button type="submit" class="link">Sign out</button>
    </form>
  </nav>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}" />`;
}

export function when(date: string | undefined): string {
  return date ? date.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

export const STYLESHEET = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; align-items: center; justify-content: space-between; padding: .75rem 1.5rem;
  background: #1b2a41; color: #fff; }
header a { color: #fff; text-decoration: none; margin-right: 1rem; }
.brand { font-weight: 700; letter-spacing: .02em; }
nav { display: flex; align-items: center; gap: .25rem; }
.who { opacity: .8; margin: 0 .75rem; font-family: ui-monospace, monospace; font-size: .9rem; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
dl { display: grid; grid-template-columns: 12rem 1fr; gap: .4rem 1rem; background: #fff;
  padding: 1rem 1.25rem; border-radius: 6px; border: 1px solid #dde1e6; }
dt { font-weight: 600; color: #4a5360; }
dd { margin: 0; }
code, .mono { font-family: ui-monospace, monospace; font-size: .92em; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde1e6; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #eceff2; vertical-align: top; }
th { background: #eef1f4; font-size: .9rem; }
.status { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .85rem;
  background: #e4e7eb; }
.status-pending { background: #fff3c4; } .status-approved, .status-active { background: #d3f4dc; }
.status-denied, .status-revoked { background: #fbd5d5; } .status-issued { background: #d6e6ff; }
.actions { display: flex; gap: 1.5rem; flex-wrap: wrap; margin-top: 1.5rem; }
.actions form, form.card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px;
  padding: 1rem; display: flex; flex-direction: column; gap: .5rem; min-width: 16rem; }
form.inline { display: inline; }
input[type=text], input:not([type]) { padding: .35rem .5rem; border: 1px solid #b8c0ca; border-radius: 4px; }
button { padding: .4rem .9rem; border-radius: 4px; border: 1px solid #1b2a41; background: #1b2a41;
  color: #fff; cursor: pointer; font-size: .95rem; }
button.approve { background: #1a7f37; border-color: #1a7f37; }
button.deny, button.revoke { background: #b42318; border-color: #b42318; }
button.secondary { background: #fff; color: #1b2a41; }
button.link { background: none; border: none; color: #fff; text-decoration: underline; padding: 0; }
.notice { background: #fff; border-left: 4px solid #b42318; padding: .75rem 1rem; }
.notice.ok { border-left-color: #1a7f37; }
.muted { color: #5f6b7a; }
.filters { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
.counts { display: flex; gap: 1rem; flex-wrap: wrap; }
.count { flex: 1; min-width: 10rem; background: #fff; border: 1px solid #dde1e6; border-radius: 6px;
  padding: .75rem 1rem; color: inherit; text-decoration: none; }
.count .value { display: block; font-size: 1.6rem; font-weight: 700; }
.count.alarm { border-left: 4px solid #b42318; }
.charts { display: flex; gap: 1.5rem; flex-wrap: wrap; } figure.chart { margin: 0; }
.chart svg { max-width: 100%; height: auto; } .legend { margin-left: .75rem; }
.legend svg { margin-right: .25rem; } .pager { display: flex; gap: 1.5rem; margin: .75rem 0; }
td.left { white-space: nowrap; }
pre.secret { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .75rem;
  white-space: pre-wrap; word-break: break-all; font-family: ui-monospace, monospace; }
fieldset { border: 1px solid #dde1e6; border-radius: 4px; display: flex; flex-direction: column; gap: .4rem; }
label.check { display: flex; gap: .4rem; align-items: center; }
textarea { padding: .35rem .5rem; border: 1px solid #b8c0ca; border-radius: 4px; font: inherit; }
`;
