import type { PasskeyView } from '#access';
import { adminPasskeysPage, passkeysPage, registerPasskeyPage } from './passkeys-page.js';

const viewer = { id: 'corp:alice', admin: false, csrf: 'token' };
const hostile: PasskeyView = {
  id: '5d7c1a52-1b7e-4d57-9f45-3c2f0b1c7e10',
  principal: 'corp:<alice>',
  name: '<img src=x onerror=alert(1)>"\'',
  credentialId: 'AAAA',
  aaguid: '00000000-0000-0000-0000-000000000000',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('passkey pages', () => {
  it('escape what a person typed and what an id holds', () => {
    for (const page of [
      passkeysPage(viewer, [hostile], true),
      adminPasskeysPage({ ...viewer, admin: true }, [hostile]),
    ]) {
      expect(page).not.toContain('<img');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
      expect(page).not.toContain('<script');
    }
    expect(adminPasskeysPage(viewer, [hostile])).toContain('corp:&lt;alice&gt;');
  });

  it('say to sign in again only when the sign-in is stale', () => {
    expect(passkeysPage(viewer, [hostile], true)).not.toContain('id="sign-in-again"');
    expect(passkeysPage(viewer, [hostile], false)).toContain('id="sign-in-again"');
  });

  it('load the ceremony script on the registration page alone, with its form hidden until then', () => {
    expect(registerPasskeyPage(viewer)).toContain(
      '<script src="/assets/passkey.js" defer></script>',
    );
    expect(registerPasskeyPage(viewer)).toMatch(/<form id="register-passkey" class="card" hidden>/);
    expect(passkeysPage(viewer, [], true)).not.toContain('<script');
  });
});
