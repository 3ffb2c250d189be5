import type { GrantView } from '#access';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { csrfField, when } from './layout.js';
import { status } from './request-page.js';

/** One page of an admin list: which page it is, and the cursor of the next one. */
export interface PageLinks {
  /** The list's own path, e.g. `/admin/grants`. */
  path: string;
  limit: number;
  /** Set when this page is not the first. */
  cursor?: string;
  next?: string;
}

/** "1h 02m", "4m 05s", "12s"; past the end, how long ago it was due. */
export function timeLeft(expiresAt: string, now: Date): string {
  const ms = new Date(expiresAt).getTime() - now.getTime();
  const text = spell(Math.ceil(Math.abs(ms) / 1000));
  return ms > 0 ? text : `overdue by ${text}`;
}

function spell(total: number): string {
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

/** Keyset paging: onward by the next cursor, and back to the first page (cursors only go forward). */
export function pager(links: PageLinks): SafeHtml {
  const query = (cursor?: string) =>
    new URLSearchParams({
      ...(cursor ? { cursor } : {}),
      ...(links.limit === DEFAULT_PAGE ? {} : { limit: String(links.limit) }),
    }).toString();
  const href = (cursor?: string) => {
    const q = query(cursor);
    return q ? `${links.path}?${q}` : links.path;
  };
  if (!links.next && !links.cursor) return html``;
  return html`<nav class="pager" aria-label="pages">
    ${links.cursor ? html`<a href="${href()}" rel="first">← First page</a>` : null}
    ${links.next ? html`<a href="${href(links.next)}" rel="next">Next page →</a>` : null}
  </nav>`;
}

/** The API's page size when a query names none (adminPageQuery): links leave it out. */
export const DEFAULT_PAGE = 50;

/** Grants with their time left, each with a Revoke form (CSRF-protected POST). */
export function activeGrantTable(
  items: readonly GrantView[],
  viewer: Viewer,
  now: Date,
  empty: string,
): SafeHtml {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table class="grants">
    <thead>
      <tr>
        <th>Role</th>
        <th>Recipient</th>
        <th>Issued</th>
        <th>Expires</th>
        <th>Time left</th>
        <th>Status</th>
        <th>Revoke</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (g) =>
          html`<tr data-grant="${g.id}">
            <td>
              <a href="/requests/${g.requestId}">${g.role}</a>${
                g.breakGlass ? html` <strong>break-glass</strong>` : null
              }
            </td>
            <td class="mono">${g.recipient}</td>
            <td>${when(g.issuedAt)}</td>
            <td>${when(g.expiresAt)}</td>
            <td class="left">
              ${
                g.overdue
                  ? html`<strong>${timeLeft(g.expiresAt, now)}</strong>${
                        g.revocationFailures
                          ? html` (${g.revocationFailures} failed revocations)`
                          : null
                      }`
                  : timeLeft(g.expiresAt, now)
              }
            </td>
            <td>${status(g.status)}</td>
            <td>
              <form method="post" action="/admin/grants/${g.id}/revoke" class="inline">
                ${csrfField(viewer.csrf)}
                <input name="reason" maxlength="1000" required placeholder="reason" />
                <button type="submit" class="revoke">Revoke</button>
              </form>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
