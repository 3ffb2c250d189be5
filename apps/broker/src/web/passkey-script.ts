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
  function toBytes(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) base64 += '=';
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (answer) {
      return answer.json().then(function (json) {
        if (!answer.ok) throw new Error(json.message || 'HTTP ' + answer.status);
        return json;
      });
    });
  }
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
