import type { PasskeyView } from '#access';
import { PASSKEY_NAME_MAX } from '#domain';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { csrfField, page, when } from './layout.js';

/** The registration page's script (PASSKEY_SCRIPT), the only one it may run. */
export const PASSKEY_SCRIPT_PATH = '/assets/passkey.js';

/** The signed-in person's passkeys, with rename and remove forms; this page runs no script. */
export function passkeysPage(viewer: Viewer, passkeys: PasskeyView[], freshSignIn: boolean) {
  const rows = passkeys.map(
    (passkey) =>
      html`<tr id="passkey-${passkey.id}">
        <td class="passkey-name">${passkey.name}</td>
        <td>${when(passkey.createdAt)}</td>
        <td>${passkey.lastUsedAt ? when(passkey.lastUsedAt) : 'never'}</td>
        <td>
          <form method="post" action="/me/passkeys/${passkey.id}/rename" class="inline">
            ${csrfField(viewer.csrf)}
            <input name="name" required maxlength="${PASSKEY_NAME_MAX}" aria-label="New name" />
            <button type="submit" class="secondary">Rename</button>
          </form>
          <form method="post" action="/me/passkeys/${passkey.id}/remove" class="inline">
            ${csrfField(viewer.csrf)}
            <button type="submit" class="revoke">Remove</button>
          </form>
        </td>
      </tr>`,
  );
  const body = html`<p class="muted">
      A passkey lets you approve with your own authenticator (a security key, or your device's
      screen lock): your approvals are then signed over exactly the terms you approve, and some
      roles take no other.
    </p>
    ${
      freshSignIn
        ? null
        : html`<p class="notice" id="sign-in-again">
            Removing a passkey needs a sign-in of the last 5 minutes: sign out and sign in again
            first.
          </p>`
    }
    ${
      passkeys.length === 0
        ? html`<p id="no-passkeys">You have no passkey yet.</p>`
        : html`<table id="passkeys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Registered</th>
                <th>Last used</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }
    <p><a href="/me/passkeys/new">Register a passkey</a></p>`;
  return page('My passkeys', body, viewer);
}

/**
 * The registration form: hidden until the script runs (a WebAuthn ceremony needs one); the
 * script asks the broker for options, the browser for a credential, and posts it back as JSON.
 */
export function registerPasskeyPage(viewer: Viewer) {
  const body = html`<noscript
      ><p class="notice">Registering a passkey needs JavaScript in this page.</p></noscript
    >
    <form id="register-passkey" class="card" hidden>
      ${csrfField(viewer.csrf)}
      <label
        >Name
        <input name="name" required maxlength="${PASSKEY_NAME_MAX}" placeholder="e.g. laptop" />
      </label>
      <button type="submit">Register a passkey</button>
      <p id="passkey-status" class="muted" role="status"></p>
    </form>
    <p><a href="/me/passkeys">Back to my passkeys</a></p>
    <script src="${PASSKEY_SCRIPT_PATH}" defer></script>`;
  return page('Register a passkey', body, viewer);
}

/** Every passkey in use, for admins, each with its revoke button. */
export function adminPasskeysPage(viewer: Viewer, passkeys: PasskeyView[]) {
  const rows = passkeys.map(
    (passkey) =>
      html`<tr id="passkey-${passkey.id}">
        <td class="mono">${passkey.principal}</td>
        <td>${passkey.name}</td>
        <td>${when(passkey.createdAt)}</td>
        <td>${passkey.lastUsedAt ? when(passkey.lastUsedAt) : 'never'}</td>
        <td>
          <form method="post" action="/admin/passkeys/${passkey.id}/revoke" class="inline">
            ${csrfField(viewer.csrf)}
            <button type="submit" class="revoke">Revoke</button>
          </form>
        </td>
      </tr>`,
  );
  const body =
    passkeys.length === 0
      ? html`<p id="no-passkeys">Nobody has a passkey.</p>`
      : html`<table id="passkeys">
          <thead>
            <tr>
              <th>Person</th>
              <th>Name</th>
              <th>Registered</th>
              <th>Last used</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>`;
  return page('Passkeys', body, viewer);
}
