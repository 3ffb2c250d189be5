import type { AdminDashboardView, GrantView, ListPage, RequestView } from '#access';
import type { AuditEvent, ChainVerification } from '#audit';
import type { PageLinks } from './admin-lists.js';
import { activeGrantTable, pager } from './admin-lists.js';
import { dashboardCharts } from './admin-charts.js';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { page, when } from './layout.js';
import { requestTable } from './request-page.js';

function chainStatus(chain: ChainVerification): SafeHtml {
  return chain.ok
    ? html`<p class="notice ok" id="chain">
        Audit chain intact: ${chain.events} events, head <code>${chain.head.slice(0, 16)}…</code>${
          chain.checkpoint
            ? html`; matches the signed checkpoint of ${chain.checkpoint.size} events`
            : ''
        }
      </p>`
    : html`<p class="notice" id="chain">
        Audit chain BROKEN at event ${chain.brokenAt ?? '?'} (${chain.events} events
        checked)${chain.reason ? html`: <code>${chain.reason}</code>` : ''}.
      </p>`;
}

/** The whole chain recomputed: its own page, since it reads every event (not for every visit). */
export function chainPage(viewer: Viewer, chain: ChainVerification): string {
  return page(
    'Audit chain',
    html`${chainStatus(chain)}
      <p><a href="/admin">← Overview</a></p>`,
    viewer,
  );
}

function count(id: string, label: string, value: string, href: string, alarm: boolean): SafeHtml {
  return html`<a class="count${alarm ? ' alarm' : ''}" id="count-${id}" href="${href}"
    ><span class="value">${value}</span> <span class="label">${label}</span></a
  >`;
}

function counts(view: AdminDashboardView): SafeHtml {
  const { pending, active, overdue, unreviewedBreakGlass } = view.counts;
  const activeText = active.estimated
    ? `≈ ${active.count.toLocaleString('en')}`
    : `${active.count}`;
  return html`<section class="counts" aria-label="at a glance">
      ${count('pending', 'pending requests', `${pending}`, '/admin/requests', false)}
      ${count('active', 'active grants', activeText, '/admin/grants', false)}
      ${count('overdue', 'overdue grants', `${overdue}`, '/admin/grants/overdue', overdue > 0)}
      ${count(
        'break-glass',
        'unreviewed break-glass',
        `${unreviewedBreakGlass}`,
        '/admin/break-glass',
        unreviewedBreakGlass > 0,
      )}
    </section>
    ${
      active.estimated
        ? html`<p class="muted">Active grants: PostgreSQL's estimate (pg_class), not a count.</p>`
        : null
    }`;
}

export interface AdminOverview {
  dashboard: AdminDashboardView;
  grants: ListPage<GrantView>;
  pending: ListPage<RequestView>;
  limit: number;
}

export function adminPage(viewer: Viewer, overview: AdminOverview): string {
  const { dashboard, grants, pending, limit } = overview;
  const now = new Date(dashboard.at);
  const body = html`${counts(dashboard)} ${dashboardCharts(dashboard)}
    <h2>Active grants</h2>
    ${activeGrantTable(grants.items, viewer, now, 'No active grants.')}
    ${pager({ path: '/admin/grants', limit, next: grants.nextCursor })}
    <h2>Pending requests</h2>
    ${requestTable(pending.items, 'No pending requests.')}
    ${pager({ path: '/admin/requests', limit, next: pending.nextCursor })}
    <p>
      <a href="/admin/audit">The audit log →</a> ·
      <a href="/admin/chain">Verify the audit chain →</a>
    </p>
    <p class="muted">As of ${when(dashboard.at)}.</p>`;
  return page('Security overview', body, viewer);
}

/** One page of a list of grants (all active, or the overdue ones). */
export function grantListPage(
  viewer: Viewer,
  title: string,
  grants: ListPage<GrantView>,
  links: PageLinks,
  now: Date,
  empty: string,
): string {
  const body = html`${activeGrantTable(grants.items, viewer, now, empty)}
    ${pager({ ...links, next: grants.nextCursor })}
    <p><a href="/admin">← Overview</a></p>`;
  return page(title, body, viewer);
}

/** One page of a list of requests (pending, or unreviewed break-glass activations). */
export function requestListPage(
  viewer: Viewer,
  title: string,
  requests: ListPage<RequestView>,
  links: PageLinks,
  empty: string,
): string {
  const body = html`${requestTable(requests.items, empty)}
    ${pager({ ...links, next: requests.nextCursor })}
    <p><a href="/admin">← Overview</a></p>`;
  return page(title, body, viewer);
}

export interface AuditFilterForm {
  type?: string;
  actor?: string;
  requestId?: string;
  since?: string;
  until?: string;
}

function field(label: string, name: keyof AuditFilterForm, form: AuditFilterForm, hint = '') {
  return html`<label
    >${label} <input name="${name}" value="${form[name] ?? ''}" placeholder="${hint}"
  /></label>`;
}

export function auditPage(
  viewer: Viewer,
  form: AuditFilterForm,
  events: readonly AuditEvent[],
  next: string | undefined,
): string {
  const nextQuery = next
    ? new URLSearchParams(
        Object.entries({ ...form, cursor: next }).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '',
        ),
      ).toString()
    : undefined;
  const body = html`<form method="get" action="/admin/audit" class="filters">
      ${field('Type', 'type', form, 'approval.refused')} ${field('Actor', 'actor', form)}
      ${field('Request id', 'requestId', form)}
      ${field('Since', 'since', form, '2026-01-01T00:00:00Z')}
      ${field('Until', 'until', form, '2026-12-31T00:00:00Z')}
      <button type="submit">Filter</button>
    </form>
    ${
      events.length === 0
        ? html`<p class="muted">No events match.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>#</th>
                <th>At</th>
                <th>Type</th>
                <th>Actor</th>
                <th>Request</th>
                <th>Data</th>
              </tr>
            </thead>
            <tbody>
              ${events.map(
                (e) =>
                  html`<tr>
                    <td>${e.seq}</td>
                    <td>${when(e.at)}</td>
                    <td>${e.type}</td>
                    <td class="mono">${e.actor}</td>
                    <td>
                      ${e.requestId ? html`<a href="/requests/${e.requestId}">open</a>` : null}
                    </td>
                    <td class="mono">${JSON.stringify(e.data)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${nextQuery ? html`<p><a href="/admin/audit?${nextQuery}" rel="next">Next page →</a></p>` : null}`;
  return page('Audit log', body, viewer);
}
