import type { Credential, ExtendedCredential, MintedCredential } from '#access';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import type { Viewer } from './layout.js';
import { page, when } from './layout.js';

/** The copy buttons' script, allowed on this page alone (pageScriptPolicy). */
export const COPY_SCRIPT_PATH = '/assets/copy.js';

const POSTGRES_VARIABLES: [string, 'host' | 'port' | 'database' | 'username' | 'password'][] = [
  ['PGHOST', 'host'],
  ['PGPORT', 'port'],
  ['PGDATABASE', 'database'],
  ['PGUSER', 'username'],
  ['PGPASSWORD', 'password'],
];

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * The shell line that puts the credential in the environment, as `countersign creds --env` prints
 * it (apps/cli/src/credential-output.ts): COUNTERSIGN_CREDENTIAL for a JWT (COUNTERSIGN_TOKEN is
 * the CLI's own sign-in), libpq's PG* variables for PostgreSQL, none for a webhook's fields.
 */
export function exportLine(credential: Credential): string | undefined {
  const pairs: [string, string | number][] =
    credential.type === 'jwt'
      ? [['COUNTERSIGN_CREDENTIAL', credential.token]]
      : credential.type === 'postgres'
        ? POSTGRES_VARIABLES.map(([name, field]) => [name, credential[field]])
        : [];
  if (pairs.length === 0) return undefined;
  return `export ${pairs.map(([name, value]) => `${name}=${shellQuote(String(value))}`).join(' ')}`;
}

/**
 * The answer to collecting a credential: shown this once, in the answer to the POST (never at a
 * URL one could GET again), with Cache-Control: no-store. Copy buttons are hidden until the copy
 * script runs; without it the text is still there to select.
 */
export function credentialPage(viewer: Viewer, minted: MintedCredential | ExtendedCredential) {
  const extended = 'extended' in minted ? minted.extended : undefined;
  const credential = minted.credential;
  const ends = extended
    ? html`<p class="notice ok" id="extended">
        Your grant now ends at ${when(minted.expiresAt)} (it ended at ${when(extended.from)}).
      </p>`
    : html`<p class="notice ok">Your grant ends at ${when(minted.expiresAt)}.</p>`;
  const body = html`${ends}
    ${
      credential
        ? html`<p class="notice">
              This is the only time it is shown: copy it now. Reloading or coming back to this page
              will not show it again.
            </p>
            ${credentialFields(credential)}`
        : html`<p id="no-credential">
            Nothing new to copy: the access you hold works until the new end.
          </p>`
    }
    <p><a href="/me">Back to my access</a></p>
    <script src="${COPY_SCRIPT_PATH}" defer></script>`;
  return page(extended ? 'Grant extended' : 'Your credential', body, viewer);
}

function credentialFields(credential: Credential): SafeHtml {
  const line = exportLine(credential);
  const fields =
    credential.type === 'jwt'
      ? copyable('token', 'Token', credential.token)
      : credential.type === 'postgres'
        ? html`${copyable('url', 'Connection URL', credential.url)}
            <dl>
              <dt>Host</dt>
              <dd class="mono">${credential.host}</dd>
              <dt>Port</dt>
              <dd class="mono">${credential.port}</dd>
              <dt>Database</dt>
              <dd class="mono">${credential.database}</dd>
              <dt>User</dt>
              <dd class="mono">${credential.username}</dd>
            </dl>`
        : webhookFields(credential);
  return html`${fields} ${line ? copyable('export', 'In your shell', line) : null}`;
}

function webhookFields(credential: Credential): SafeHtml {
  const entries = Object.entries(credential).filter(([key]) => key !== 'type');
  return html`${entries.map(([key, value], i) => copyable(`field-${i}`, key, String(value)))}`;
}

/** A value with its copy button; the button names the element whose text it copies. */
function copyable(id: string, label: string, value: string): SafeHtml {
  return html`<section class="copyable">
    <h2>${label}</h2>
    <pre class="secret" id="copy-${id}">${value}</pre>
    <button type="button" class="secondary copy" data-copy="copy-${id}" hidden>Copy</button>
  </section>`;
}

/**
 * The copy buttons' script, served from this origin (COPY_SCRIPT_PATH) and allowed on the
 * credential page only: the pages otherwise run none. Without the asynchronous clipboard (plain
 * http off localhost) it selects the text and asks the browser to copy the selection.
 */
export const COPY_SCRIPT = `'use strict';
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    var text = source.textContent || '';
    var done = function () { button.textContent = 'Copied'; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { button.textContent = 'Copy failed: select the text'; });
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (document.execCommand('copy')) done();
  });
});
`;
