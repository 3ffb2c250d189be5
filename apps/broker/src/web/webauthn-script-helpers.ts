/**
 * What both passkey ceremonies' scripts need, written into each (they are served and allowed one
 * by one): base64url text to bytes and back (WebAuthn's JSON encoding), and a same-origin JSON
 * POST whose refusal becomes an Error carrying the broker's message.
 */
export const WEBAUTHN_SCRIPT_HELPERS = `  function toBytes(text) {
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
  }`;
