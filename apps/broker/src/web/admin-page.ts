import type { GrantView, RequestView } from '#access';
import type { AuditEvent, ChainVerification } from '#audit';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { page, when } from './layout.js';
import { grantTable, requestTable } from './request-page.js';

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

export function adminPage(
  viewer: Viewer,
  chain: ChainVerification,
  pending: readonly RequestView[],
  grants: readonly GrantView[],
): string {
  const body = html`${chainStatus(chain)}
    <h2>Active grants</h2>
    ${grantTable(grants, viewer)}
    <h2>Pending requests</h2>
    ${requestTable(pending, 'No pending requests.')}
    <p><a href="/admin/audit">The audit log →</a></p>`;
  return page('Security overview', body, viewer);
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
