import type { RequestView } from '#access';
import { formatDuration } from '#domain';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { csrfField, page, when } from './layout.js';

/** The signed-approval ceremony's script (APPROVE_SCRIPT), allowed where an approver signs. */
export const APPROVE_SCRIPT_PATH = '/assets/approve.js';

/**
 * How an approver approves: `plain`, the form; `passkey`, signed by a passkey of theirs through
 * the page's script because they have one (an approval that can be signed is), and
 * `passkey_required` because the role requires it; `register_first`, the role requires a
 * signature and they have no passkey yet.
 */
export type ApprovalSigning = 'plain' | 'passkey' | 'passkey_required' | 'register_first';

/** What the viewer may do with a request, decided by the domain rules (see request-pages). */
export type Standing =
  | { kind: 'approver'; signing: ApprovalSigning }
  | { kind: 'approved_already' }
  /** An approver who already counts through a linked identity (rule 5): may still deny. */
  | { kind: 'counted_already'; message: string }
  | { kind: 'refused'; reason: string; message: string }
  | { kind: 'reviewer' }
  | { kind: 'closed' };

/** Whether the page runs APPROVE_SCRIPT: its policy must then allow it. */
export function signsWithScript(standing: Standing): boolean {
  return (
    standing.kind === 'approver' &&
    (standing.signing === 'passkey' || standing.signing === 'passkey_required')
  );
}

export function status(value: string): SafeHtml {
  return html`<span class="status status-${value}">${value}</span>`;
}

export function requestPage(
  view: RequestView,
  viewer: Viewer,
  standing: Standing,
  canCancel: boolean,
): string {
  const approvals = view.approvals.length
    ? html`<ul>
        ${view.approvals.map(
          (a) =>
            html`<li>
              <span class="mono">${a.approver}</span> at
              ${when(a.at)}${a.comment ? html` — “${a.comment}”` : null}
            </li>`,
        )}
      </ul>`
    : html`<span class="muted">none yet</span>`;
  const body = html`<dl>
      <dt>Role</dt>
      <dd>${view.role}</dd>
      <dt>Resource</dt>
      <dd class="mono">${view.resource}</dd>
      ${
        view.intent
          ? html`<dt>Narrowed to</dt>
              <dd>
                <span class="mono">${view.intent.actions.join(', ')}</span> on
                <span class="mono">${view.intent.resource}</span>
              </dd>`
          : null
      }
      <dt>Requester</dt>
      <dd class="mono">${view.requester}</dd>
      <dt>Recipient</dt>
      <dd class="mono">
        ${view.recipient}${view.onBehalfOf ? html` (requested on their behalf by the agent)` : null}
      </dd>
      ${view.breakGlass ? breakGlassRow(view) : null}
      ${
        view.extends
          ? html`<dt>Extends</dt>
              <dd>grant <span class="mono">${view.extends}</span>, by the duration below</dd>`
          : null
      }
      <dt>Duration</dt>
      <dd>${view.extends ? '+' : ''}${formatDuration(view.duration)}</dd>
      <dt>Justification</dt>
      <dd>${view.justification ?? html`<span class="muted">none given</span>`}</dd>
      <dt>Status</dt>
      <dd>${status(view.status)}</dd>
      <dt>Requested</dt>
      <dd>${when(view.createdAt)}</dd>
      <dt>Approvals</dt>
      <dd>
        ${view.breakGlass ? 'none: issued through break-glass' : html`${progress(view)} ${approvals}`}
      </dd>
    </dl>
    ${decision(view, viewer, standing)} ${canCancel ? cancelForm(view, viewer) : null}`;
  return page(`Request for ${view.role}`, body, viewer);
}

/** How far approval has come, and what still stands in the way once the count is reached. */
function progress(view: RequestView): string {
  const counted = `${view.approvals.length} of ${view.approvalsRequired}`;
  if (view.status !== 'pending')
    return `${view.approvals.length} (${view.approvalsRequired} needed)`;
  if (view.approvals.length < view.approvalsRequired) return `${counted} needed`;
  // Rule 6: an admin's approvals alone never complete a request.
  if (view.approvals.every((approval) => approval.adminReach))
    return `${counted}, needs one non-admin approval`;
  // Linked identities count as one person (rule 5).
  return `${counted}, needs approvals from more distinct people`;
}

/** Break-glass: issued without an approval; where its review stands. */
function breakGlassRow(view: RequestView): SafeHtml {
  const review = view.review;
  const state = !review
    ? null
    : review.reviewedBy
      ? html`reviewed by
          <span class="mono">${review.reviewedBy}</span>
          ${review.reviewedAt ? when(review.reviewedAt) : null}`
      : html`review due
        ${when(review.dueAt)}${
          review.escalations ? html` — escalated ${review.escalations} time(s)` : null
        }`;
  return html`<dt>Break-glass</dt>
    <dd class="notice">issued without an approval; ${state}</dd>`;
}

function decision(view: RequestView, viewer: Viewer, standing: Standing): SafeHtml {
  switch (standing.kind) {
    case 'reviewer':
      return html`<section class="actions">
        <form method="post" action="/requests/${view.id}/review">
          ${csrfField(viewer.csrf)}
          <label>Comment (optional) <input name="comment" maxlength="1000" /></label>
          <button type="submit" class="approve">Mark as reviewed</button>
        </form>
      </section>`;
    case 'approver':
      return html`<section class="actions">
        ${approveForm(view, viewer, standing.signing)} ${denyForm(view, viewer)}
      </section>`;
    case 'approved_already':
      return html`<p class="notice ok">You have approved this request.</p>`;
    case 'counted_already':
      return html`<p class="notice" id="refusal">
          You cannot approve this request: ${standing.message} (<code>approver_linked</code>).
        </p>
        <section class="actions">${denyForm(view, viewer)}</section>`;
    case 'refused':
      return html`<p class="notice" id="refusal">
        You cannot approve or deny this request: ${standing.message}
        (<code>${standing.reason}</code>).
      </p>`;
    case 'closed':
      return html`<p class="muted">This request is ${view.status}: there is nothing to decide.</p>`;
  }
}

function approveForm(view: RequestView, viewer: Viewer, signing: ApprovalSigning): SafeHtml {
  switch (signing) {
    case 'plain':
      return html`<form method="post" action="/requests/${view.id}/approve">
        ${csrfField(viewer.csrf)}
        <label>Comment (optional) <input name="comment" maxlength="1000" /></label>
        <button type="submit" class="approve">Approve</button>
      </form>`;
    case 'passkey':
    case 'passkey_required':
      // Without the script this posts as a plain Approve: refused where the role needs a signature.
      return html`<form
          id="approve-signed"
          method="post"
          action="/requests/${view.id}/approve"
          data-approval="/requests/${view.id}/approval"
        >
          ${csrfField(viewer.csrf)}
          <label>Comment (optional) <input name="comment" maxlength="1000" /></label>
          <button type="submit" class="approve">Approve with passkey</button>
          <p id="approve-status" class="muted" role="status"></p>
        </form>
        <noscript
          ><p class="notice">
            ${
              signing === 'passkey_required'
                ? "This role's approvals are signed with your passkey, which needs JavaScript in this page."
                : 'Without JavaScript, Approve records an approval your passkey has not signed.'
            }
          </p></noscript
        >
        <script src="${APPROVE_SCRIPT_PATH}" defer></script>`;
    case 'register_first':
      return html`<p class="notice" id="register-passkey-first">
        This role's approvals are signed with your passkey:
        <a href="/me/passkeys/new">register one first</a>. Signing needs JavaScript in this page.
      </p>`;
  }
}

function denyForm(view: RequestView, viewer: Viewer): SafeHtml {
  return html`<form method="post" action="/requests/${view.id}/deny">
    ${csrfField(viewer.csrf)}
    <label>Reason <input name="reason" maxlength="1000" required /></label>
    <button type="submit" class="deny">Deny</button>
  </form>`;
}

function cancelForm(view: RequestView, viewer: Viewer): SafeHtml {
  return html`<section class="actions">
    <form method="post" action="/requests/${view.id}/cancel">
      ${csrfField(viewer.csrf)}
      <button type="submit" class="secondary">Cancel my request</button>
    </form>
  </section>`;
}

export function requestTable(items: readonly RequestView[], empty: string): SafeHtml {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        <th>Role</th>
        <th>Requester</th>
        <th>Recipient</th>
        <th>Duration</th>
        <th>Status</th>
        <th>Requested</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (r) =>
          html`<tr>
            <td><a href="/requests/${r.id}">${r.role}</a></td>
            <td class="mono">${r.requester}</td>
            <td class="mono">${r.recipient}</td>
            <td>${formatDuration(r.duration)}</td>
            <td>${status(r.status)}</td>
            <td>${when(r.createdAt)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function requestListsPage(
  viewer: Viewer,
  mine: readonly RequestView[],
  waiting: readonly RequestView[],
): string {
  const body = html`<h2>Waiting for me</h2>
    ${requestTable(waiting, 'Nothing is waiting for your approval.')}
    <h2>My requests</h2>
    ${requestTable(mine, 'You have made no requests.')}`;
  return page('Requests', body, viewer);
}
