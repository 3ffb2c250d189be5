import { WEBAUTHN_SCRIPT_HELPERS } from './webauthn-script-helpers.js';

/**
 * The registration ceremony's script, served from this origin (PASSKEY_SCRIPT_PATH) and allowed on
 * the registration page only. No cryptography: it converts the options' base64url fields to bytes
 * for navigator.credentials.create and the credential's bytes back, and posts both with the form
 * token. The broker keeps the challenge; what the browser sends is only checked against it.
 */
export const PASSKEY_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('register-passkey');
  if (!form || !window.PublicKeyCredential) return;
  var status = document.getElementById('passkey-status');
  var csrf = form.querySelector('input[name=csrf]').value;
${WEBAUTHN_SCRIPT_HELPERS}
  form.hidden = false;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = form.querySelector('input[name=name]').value;
    status.textContent = 'Waiting for your authenticator…';
    post('/me/passkeys/registration/options', { csrf: csrf }).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: toBytes(options.challenge),
        user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
        excludeCredentials: (options.excludeCredentials || []).map(function (known) {
          return Object.assign({}, known, { id: toBytes(known.id) });
        })
      });
      return navigator.credentials.create({ publicKey: publicKey });
    }).then(function (credential) {
      var answer = credential.response;
      return post('/me/passkeys/registration', {
        csrf: csrf,
        name: name,
        response: {
          id: credential.id,
          rawId: toText(credential.rawId),
          type: credential.type,
          clientExtensionResults: credential.getClientExtensionResults(),
          authenticatorAttachment: credential.authenticatorAttachment || undefined,
          response: {
            clientDataJSON: toText(answer.clientDataJSON),
            attestationObject: toText(answer.attestationObject),
            transports: answer.getTransports ? answer.getTransports() : []
          }
        }
      });
    }).then(function () {
      window.location.assign('/me/passkeys');
    }, function (error) {
      status.textContent = 'Not registered: ' + error.message;
    });
  });
})();
`;
