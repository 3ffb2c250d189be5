import type { RoleView } from '#access';
import { formatDuration } from '#domain';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { csrfField, page } from './layout.js';

/**
 * The form for one role (`GET /me/request?role=`): duration, justification and, to narrow the
 * role (docs/policy-changes.md, intent), some of its actions and a resource under its own. Every
 * bound is re-checked by CreateRequest; the page only says them first.
 */
export function requestFormPage(viewer: Viewer, role: RoleView): string {
  const body = html`<dl>
      <dt>Resource</dt>
      <dd class="mono">${role.resource}</dd>
      <dt>Actions</dt>
      <dd class="mono">${role.actions.join(', ')}</dd>
      <dt>Duration</dt>
      <dd>
        ${formatDuration(role.defaultDuration)} unless you say otherwise, at most
        ${formatDuration(role.maxDuration)}
      </dd>
      <dt>Approvals needed</dt>
      <dd>${role.approvalsRequired}</dd>
    </dl>
    <form method="post" action="/me/requests" class="card" id="request-form">
      ${csrfField(viewer.csrf)}
      <input type="hidden" name="role" value="${role.name}" />
      <label
        >Duration (e.g. 30m, 1h; empty for ${formatDuration(role.defaultDuration)})
        <input name="duration" maxlength="32" />
      </label>
      <label
        >Justification${role.requireJustification ? ' (required)' : ' (optional)'}
        <textarea
          name="justification"
          maxlength="2000"
          rows="3"
          ${role.requireJustification ? html`required` : null}
        ></textarea>
      </label>
      ${intentFields(role)}
      <button type="submit">Request ${role.name}</button>
    </form>`;
  return page(`Request ${role.name}`, body, viewer);
}

/** Narrowing is optional: no box ticked and no resource means the whole role. */
function intentFields(role: RoleView): SafeHtml {
  const actions =
    role.actions.length > 1
      ? html`<span>Only these actions (optional):</span> ${role.actions.map(
            (action) =>
              html`<label class="check"
                ><input type="checkbox" name="actions" value="${action}" />
                <span class="mono">${action}</span></label
              >`,
          )}`
      : null;
  return html`<fieldset>
    <legend>Narrow the request (optional)</legend>
    ${actions}
    <label
      >Only this resource, under <span class="mono">${role.resource}</span>
      <input name="resource" maxlength="512" />
    </label>
  </fieldset>`;
}
