import { WEBAUTHN_SCRIPT_HELPERS } from './webauthn-script-helpers.js';

/**
 * The signed-approval ceremony's script, served from this origin (APPROVE_SCRIPT_PATH) and allowed
 * on a request page only where its approver signs. No cryptography: it asks the broker for the
 * options (whose challenge is the digest of the approval statement, nonce kept server-side), the
 * authenticator for an assertion over them, and posts that with the comment; then it reloads the
 * page, which shows what the broker recorded. Without the script (or WebAuthn) the form posts as
 * a plain Approve, which a role whose approvals are signed refuses in words.
 */
export const APPROVE_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('approve-signed');
  if (!form || !window.PublicKeyCredential) return;
  var status = document.getElementById('approve-status');
  var button = form.querySelector('button[type=submit]');
  var csrf = form.querySelector('input[name=csrf]').value;
  var path = form.getAttribute('data-approval');
${WEBAUTHN_SCRIPT_HELPERS}
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var comment = form.querySelector('input[name=comment]').value;
    button.disabled = true;
    status.textContent = 'Waiting for your authenticator…';
    post(path + '/options', { csrf: csrf }).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: toBytes(options.challenge),
        allowCredentials: (options.allowCredentials || []).map(function (known) {
          return Object.assign({}, known, { id: toBytes(known.id) });
        })
      });
      return navigator.credentials.get({ publicKey: publicKey });
    }).then(function (credential) {
      var answer = credential.response;
      status.textContent = 'Recording your approval…';
      return post(path, {
        csrf: csrf,
        comment: comment,
        response: {
          id: credential.id,
          rawId: toText(credential.rawId),
          type: credential.type,
          clientExtensionResults: credential.getClientExtensionResults(),
          authenticatorAttachment: credential.authenticatorAttachment || undefined,
          response: {
            clientDataJSON: toText(answer.clientDataJSON),
            authenticatorData: toText(answer.authenticatorData),
            signature: toText(answer.signature),
            userHandle: answer.userHandle ? toText(answer.userHandle) : undefined
          }
        }
      });
    }).then(function () {
      window.location.reload();
    }, function (error) {
      button.disabled = false;
      status.textContent = 'Not approved: ' + error.message;
    });
  });
})();
`;
