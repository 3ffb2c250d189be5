import type { GrantView, OwnRequestView, RequesterOverview, RoleView } from '#access';
import { formatDuration } from '#domain';
import { timeLeft } from './admin-lists.js';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { csrfField, page, when } from './layout.js';
import { status } from './request-page.js';

/** The requester's page, `/me` (docs/api.md §6): own grants, own requests, roles to request. */
export function myPage(viewer: Viewer, overview: RequesterOverview, roles: RoleView[]): string {
  // SSH certificates are minted for the recipient's public key, which a page does not hold, and
  // cannot be extended: those roles are collected and renewed with the CLI.
  const ssh = new Set(roles.filter((role) => role.provider === 'ssh').map((role) => role.name));
  const body = html`<h2>My active grants</h2>
    ${grantTable(viewer, overview, ssh)}
    <h2>My requests</h2>
    ${requestTable(viewer, overview, ssh)}
    <h2>Roles I may request</h2>
    ${roleTable(roles)}`;
  return page('My access', body, viewer);
}

/** An extension of this grant still open (pending or approved), if any. */
function openExtension(grant: GrantView, requests: readonly OwnRequestView[]) {
  return requests.find(
    (r) => r.extends === grant.id && (r.status === 'pending' || r.status === 'approved'),
  );
}

function grantTable(
  viewer: Viewer,
  { activeGrants, requests, now }: RequesterOverview,
  ssh: ReadonlySet<string>,
): SafeHtml {
  if (activeGrants.length === 0) return html`<p class="muted">You hold no active grant.</p>`;
  return html`<table id="grants">
    <thead>
      <tr>
        <th>Role</th>
        <th>Issued</th>
        <th>Ends</th>
        <th>Time left</th>
        <th>Extend</th>
        <th>Revoke</th>
      </tr>
    </thead>
    <tbody>
      ${activeGrants.map((g) => {
        const extension = openExtension(g, requests);
        return html`<tr id="grant-${g.id}">
          <td><a href="/requests/${g.requestId}">${g.role}</a></td>
          <td>${when(g.issuedAt)}</td>
          <td>${when(g.expiresAt)}</td>
          <td class="left">${timeLeft(g.expiresAt, now)}</td>
          <td>
            ${
              extension
                ? html`<a href="/requests/${extension.id}">extension ${extension.status}</a>`
                : ssh.has(g.role)
                  ? html`<span class="muted">a certificate: ask anew</span>`
                  : extendForm(viewer, g)
            }
          </td>
          <td>
            <form method="post" action="/me/grants/${g.id}/revoke" class="inline">
              ${csrfField(viewer.csrf)}
              <input name="reason" maxlength="1000" required placeholder="reason" />
              <button type="submit" class="revoke">Revoke</button>
            </form>
          </td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function extendForm(viewer: Viewer, grant: GrantView): SafeHtml {
  return html`<form method="post" action="/me/grants/${grant.id}/extend" class="inline">
    ${csrfField(viewer.csrf)}
    <input name="duration" maxlength="32" required placeholder="e.g. 30m" size="6" />
    <input name="justification" maxlength="2000" placeholder="why" />
    <button type="submit">Extend</button>
  </form>`;
}

function requestTable(
  viewer: Viewer,
  { requests, now }: RequesterOverview,
  ssh: ReadonlySet<string>,
): SafeHtml {
  if (requests.length === 0) return html`<p class="muted">You have made no requests.</p>`;
  return html`<table id="requests">
    <thead>
      <tr>
        <th>Role</th>
        <th>Duration</th>
        <th>Requested</th>
        <th>Status</th>
        <th>Outcome</th>
      </tr>
    </thead>
    <tbody>
      ${requests.map(
        (r) =>
          html`<tr id="request-${r.id}">
            <td>
              <a href="/requests/${r.id}">${r.role}</a>
              ${r.extends ? html`<br /><span class="muted">extends a grant</span>` : null}
            </td>
            <td>${r.extends ? '+' : ''}${formatDuration(r.duration)}</td>
            <td>${when(r.createdAt)}</td>
            <td>${status(r.status)}</td>
            <td>${outcome(viewer, r, now, ssh.has(r.role))}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** What became of a request, in words, and the one thing to do next where there is one. */
function outcome(
  viewer: Viewer,
  r: OwnRequestView,
  now: Date,
  sshCertificate: boolean,
): SafeHtml | string {
  switch (r.status) {
    case 'pending':
      return `${r.approvals.length} of ${r.approvalsRequired} approvals so far`;
    case 'approved':
      if (sshCertificate && mayCollect(viewer, r)) {
        return html`collect it for your key:
          <code>countersign creds ${r.id} --ssh-key ~/.ssh/id_ed25519.pub</code>`;
      }
      return mayCollect(viewer, r)
        ? html`<form method="post" action="/me/requests/${r.id}/collect" class="inline">
            ${csrfField(viewer.csrf)}
            <button type="submit" class="approve">
              ${r.extends ? 'Collect the extension' : 'Collect the credential'}
            </button>
          </form>`
        : `approved: ${r.recipient} collects it`;
    case 'denied':
      return r.denial
        ? html`denied by <span class="mono">${r.denial.by}</span>: “${r.denial.reason}”`
        : 'denied';
    case 'issued':
      return r.grant ? grantState(r.grant, now) : r.extends ? 'extended the grant' : 'issued';
    default:
      return r.status;
  }
}

function mayCollect(viewer: Viewer, r: OwnRequestView): boolean {
  return r.recipient === viewer.id || (r.onBehalfOf !== undefined && r.requester === viewer.id);
}

function grantState(grant: GrantView, now: Date): SafeHtml {
  switch (grant.status) {
    case 'active':
      return html`grant ${status('active')} — ${timeLeft(grant.expiresAt, now)} left`;
    case 'revoked':
      return html`grant ${status('revoked')}
      ${when(grant.endedAt)}${grant.revokedReason ? html`: “${grant.revokedReason}”` : null}`;
    default:
      return html`grant ${status(grant.status)} ${when(grant.endedAt)}`;
  }
}

function roleTable(roles: readonly RoleView[]): SafeHtml {
  if (roles.length === 0) return html`<p class="muted">There is no role you may request.</p>`;
  return html`<table id="roles">
    <thead>
      <tr>
        <th>Role</th>
        <th>Resource</th>
        <th>Actions</th>
        <th>At most</th>
        <th>Approvals</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${roles.map(
        (role) =>
          html`<tr>
            <td>${role.name}</td>
            <td class="mono">${role.resource}</td>
            <td class="mono">${role.actions.join(', ')}</td>
            <td>${formatDuration(role.maxDuration)}</td>
            <td>${role.approvalsRequired}</td>
            <td><a href="/me/request?role=${encodeURIComponent(role.name)}">Request</a></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
