import { randomUUID } from 'node:crypto';
import { FixedClock } from '#domain';
import { PasskeyRow, UnitOfWork, WebAuthnChallengeRow } from '#persistence';
import { WebSessions } from '../../apps/broker/src/web/web-sessions.js';
import { auditHead, auditTrail, refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { signInOverHttp } from '../support/oidc-provider.js';

const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no form token on the page');
  return match[1];
};

/** A registration response of the right shape whose bytes prove nothing. */
const fabricated = {
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  clientExtensionResults: {},
  response: { clientDataJSON: 'e30', attestationObject: 'oA', transports: ['internal'] },
};

/**
 * Passkey pages over HTTP (docs/identity.md, "Passkeys"): GET-safety, the form token on every
 * POST, the server-side single-use challenge, non-human principals refused, admin revocation.
 * Registering with a real authenticator is passkeys-browser.e2e.
 */
describe.each(DATABASE_KINDS)('passkeys on %s', (kind) => {
  let web: WebSetup;
  const clock = new FixedClock(new Date());
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    web = await startWebBroker(kind, { clock });
  });

  afterAll(async () => {
    await web.close();
  });

  const dataSource = () => web.broker.app.get(UnitOfWork).dataSource;

  function browserWith(cookie: string) {
    return {
      get: (path: string) => web.broker.http.get(path).set('cookie', cookie),
      form: (path: string, form: Record<string, string>) =>
        web.broker.http.post(path).set('cookie', cookie).type('form').send(form),
      json: (path: string, body: object) =>
        web.broker.http.post(path).set('cookie', cookie).send(body),
      csrf: async () =>
        csrfOf((await web.broker.http.get('/me/passkeys').set('cookie', cookie)).text),
    };
  }

  /** A new sign-in of `user`, now: what registering a passkey needs. */
  async function freshBrowserOf(user: string) {
    const { cookie } = await signInOverHttp(web.url, user, '/me/passkeys');
    cookies.set(user, cookie);
    return browserWith(cookie);
  }

  async function browserOf(user: string) {
    let cookie = cookies.get(user);
    if (!cookie) {
      cookie = (await signInOverHttp(web.url, user, '/me/passkeys')).cookie;
      cookies.set(user, cookie);
    }
    return browserWith(cookie);
  }

  /** A passkey row as registration would leave it, for the pages that read and revoke it. */
  async function storedPasskey(principal: string, name: string): Promise<PasskeyRow> {
    const row = Object.assign(new PasskeyRow(), {
      id: randomUUID(),
      principal,
      credentialId: randomUUID().replaceAll('-', ''),
      publicKey: 'pQECAyYgASFYIA',
      signCount: 0,
      transports: ['internal'],
      aaguid: '00000000-0000-0000-0000-000000000000',
      name,
      createdAt: clock.now(),
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    await dataSource().getRepository(PasskeyRow).insert(row);
    return row;
  }

  const challenges = () => dataSource().getRepository(WebAuthnChallengeRow).count();

  it('GETs change nothing; only the registration page may run its one script', async () => {
    const before = await auditHead(web.broker);
    const alice = await browserOf('alice');
    const list = await alice.get('/me/passkeys').expect(200).expect('cache-control', 'no-store');
    expect(list.text).toContain('You have no passkey yet.');
    expect(list.headers['content-security-policy']).not.toContain('script-src');
    const form = await alice.get('/me/passkeys/new').expect(200);
    expect(form.headers['content-security-policy']).toContain(
      `script-src ${web.url}/assets/passkey.js;connect-src 'self'`,
    );
    expect(form.text).toContain('<script src="/assets/passkey.js" defer></script>');
    const script = await web.broker.http.get('/assets/passkey.js').expect(200);
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.text).toContain('navigator.credentials.create');
    // The JSON steps are POSTs only; a GET of them finds nothing.
    await alice.get('/me/passkeys/registration').expect(404);
    await alice.get('/me/passkeys/registration/options').expect(404);
    expect(await challenges()).toBe(0);
    expect(await auditHead(web.broker)).toEqual(before);
  });

  it('refuses every POST without the form token, and a signed-out one', async () => {
    const alice = await browserOf('alice');
    const mine = await storedPasskey('corp:alice', 'csrf target');
    const refused = [
      await alice.json('/me/passkeys/registration/options', {}),
      await alice.json('/me/passkeys/registration/options', { csrf: 'forged' }),
      await alice.json('/me/passkeys/registration', {
        csrf: 'forged',
        name: 'x',
        response: fabricated,
      }),
      await alice.form(`/me/passkeys/${mine.id}/rename`, { name: 'renamed' }),
      await alice.form(`/me/passkeys/${mine.id}/remove`, { csrf: 'forged' }),
    ];
    expect(refused.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403]);
    expect(refused[0].body).toMatchObject({ error: 'forbidden', reason: 'csrf_token_invalid' });
    const signedOut = await web.broker.http
      .post('/me/passkeys/registration/options')
      .send({ csrf: await alice.csrf() })
      .expect(401);
    expect(signedOut.body).toMatchObject({ error: 'unauthenticated' });
    expect(await challenges()).toBe(0);
    const rows = await dataSource().getRepository(PasskeyRow).findOneByOrFail({ id: mine.id });
    expect(rows).toMatchObject({ name: 'csrf target', revokedAt: null });
  });

  it('keeps the challenge on the server, for this session, and uses it once', async () => {
    const alice = await browserOf('alice');
    const csrf = await alice.csrf();
    const answer = await alice.json('/me/passkeys/registration/options', { csrf }).expect(200);
    const options = answer.body as {
      challenge: string;
      rp: { id: string };
      attestation: string;
      pubKeyCredParams: { alg: number }[];
      authenticatorSelection: Record<string, string>;
      excludeCredentials: { id: string }[];
    };
    expect(options.rp.id).toBe('127.0.0.1');
    expect(options.attestation).toBe('none');
    // Algorithms every verifier's runtime checks: no ML-DSA, which only Node 24 verifies.
    expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual([-8, -7, -257]);
    expect(options.authenticatorSelection).toMatchObject({
      userVerification: 'required',
      residentKey: 'preferred',
    });
    // alice's passkey from the CSRF case is excluded: one authenticator, one passkey each.
    expect(options.excludeCredentials).toHaveLength(1);
    const stored = await dataSource().getRepository(WebAuthnChallengeRow).find();
    expect(stored.map((row) => row.challenge)).toEqual([options.challenge]);

    // An unknown field is refused before anything is used up.
    await alice
      .json('/me/passkeys/registration', { csrf, name: 'x', response: fabricated, extra: 1 })
      .expect(400);
    expect(await challenges()).toBe(1);
    // A response that does not verify is refused, and the challenge is gone with it.
    const bad = await alice
      .json('/me/passkeys/registration', { csrf, name: 'x', response: fabricated })
      .expect(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request', reason: 'registration_invalid' });
    expect(await challenges()).toBe(0);
    const again = await alice
      .json('/me/passkeys/registration', { csrf, name: 'x', response: fabricated })
      .expect(400);
    expect(again.body.message).toContain('no registration under way');
    // A challenge lives five minutes: at 5:00 it is gone (a millisecond before, it was checked).
    // Each from a new sign-in: registering needs one of the last five minutes.
    const lapsing = await freshBrowserOf('alice');
    const lapsingCsrf = await lapsing.csrf();
    await lapsing.json('/me/passkeys/registration/options', { csrf: lapsingCsrf }).expect(200);
    clock.advance(5 * 60);
    const lapsed = await lapsing
      .json('/me/passkeys/registration', { csrf: lapsingCsrf, name: 'x', response: fabricated })
      .expect(400);
    expect(lapsed.body.message).toContain('or it lapsed');
    expect(await challenges()).toBe(0);
    const late = await freshBrowserOf('alice');
    const lateCsrf = await late.csrf();
    await late.json('/me/passkeys/registration/options', { csrf: lateCsrf }).expect(200);
    clock.advance(5 * 60 - 0.001);
    const checked = await late
      .json('/me/passkeys/registration', { csrf: lateCsrf, name: 'x', response: fabricated })
      .expect(400);
    expect(checked.body.message).not.toContain('no registration under way');
    const { refused } = await refusalsOf(web.broker, {
      type: 'passkey.refused',
      actor: 'corp:alice',
    });
    expect(refused.slice(-4, -2)).toEqual([
      {
        type: 'passkey.refused',
        action: 'register',
        code: 'invalid_request',
        reason: 'registration_invalid',
      },
      {
        type: 'passkey.refused',
        action: 'register',
        code: 'invalid_request',
        reason: 'registration_invalid',
      },
    ]);
  });

  it('registers only from a sign-in of the last five minutes', async () => {
    const carol = await freshBrowserOf('carol');
    const csrf = await carol.csrf();
    clock.advance(5 * 60);
    const refusal = await carol.json('/me/passkeys/registration/options', { csrf }).expect(403);
    expect(refusal.body).toMatchObject({ error: 'forbidden', reason: 'sign_in_stale' });
    expect(refusal.body.message).toContain(
      'registering a passkey needs a sign-in of the last 5 minutes',
    );
    const { refused } = await refusalsOf(web.broker, {
      type: 'passkey.refused',
      actor: 'corp:carol',
    });
    expect(refused.at(-1)).toMatchObject({ action: 'register', reason: 'sign_in_stale' });
    // Signed in again: the options are given.
    const again = await freshBrowserOf('carol');
    const againCsrf = await again.csrf();
    await again.json('/me/passkeys/registration/options', { csrf: againCsrf }).expect(200);
    const checked = await again
      .json('/me/passkeys/registration', { csrf: againCsrf, name: 'x', response: fabricated })
      .expect(400);
    expect(checked.body.reason).toBe('registration_invalid');
  });

  it('refuses principals that are not people, in words', async () => {
    // corp:bob-bot is owned by bob (the test config's owners): an identity of a person's issuer,
    // still not a person.
    const bot = await browserOf('bob-bot');
    const refusal = await bot
      .json('/me/passkeys/registration/options', { csrf: await bot.csrf() })
      .expect(403);
    expect(refusal.body).toMatchObject({ error: 'forbidden', reason: 'not_a_person' });
    expect(refusal.body.message).toContain('only people register a passkey');
    // A service account never signs in on the web; were a session ever to name one, still no.
    const session = await web.broker.app.get(WebSessions).create({
      id: 'local:ci',
      groups: [],
      tokenGroups: [],
      tokenGroupsKnown: true,
    });
    const account = browserWith(`cs_session=${session.id}`);
    const refused = await account
      .json('/me/passkeys/registration/options', { csrf: await account.csrf() })
      .expect(403);
    expect(refused.body.message).toContain('a service account cannot hold a passkey');
    expect(await challenges()).toBe(0);
    const { refused: events } = await refusalsOf(web.broker, { type: 'passkey.refused' });
    expect(events.filter((event) => event.reason === 'not_a_person')).toHaveLength(2);
  });

  it('lets an admin revoke anyone’s passkey; to others the admin page does not exist', async () => {
    const passkey = await storedPasskey('corp:carol', '<b>carol’s key</b>');
    const carol = await browserOf('carol');
    expect((await carol.get('/me/passkeys').expect(200)).text).toContain(
      '&lt;b&gt;carol’s key&lt;/b&gt;',
    );
    // bob is no admin: the list and the revocation are 404; nor may he rename or remove carol's.
    const bob = await browserOf('bob');
    const bobsCsrf = await bob.csrf();
    await bob.get('/admin/passkeys').expect(404);
    await bob.form(`/admin/passkeys/${passkey.id}/revoke`, { csrf: bobsCsrf }).expect(404);
    await bob
      .form(`/me/passkeys/${passkey.id}/rename`, { csrf: bobsCsrf, name: 'mine' })
      .expect(404);
    await bob.form(`/me/passkeys/${passkey.id}/remove`, { csrf: bobsCsrf }).expect(404);

    const dave = await browserOf('dave');
    const list = await dave.get('/admin/passkeys').expect(200);
    expect(list.text).toContain('corp:carol');
    expect(list.text).toContain(`action="/admin/passkeys/${passkey.id}/revoke"`);
    await dave
      .form(`/admin/passkeys/${passkey.id}/revoke`, { csrf: await dave.csrf() })
      .expect(303)
      .expect('location', '/admin/passkeys');
    expect((await carol.get('/me/passkeys').expect(200)).text).not.toContain('carol’s key');
    await dave
      .form(`/admin/passkeys/${passkey.id}/revoke`, { csrf: await dave.csrf() })
      .expect(404);
    const row = await dataSource().getRepository(PasskeyRow).findOneByOrFail({ id: passkey.id });
    expect(row).toMatchObject({ revokedBy: 'corp:dave' });
    expect(row.revokedAt?.getTime()).toBe(clock.now().getTime());
    const revoked = await auditTrail(web.broker, { type: 'passkey.revoked' });
    expect(revoked.map((event) => [event.actor, event.data])).toEqual([
      [
        'corp:dave',
        {
          passkeyId: passkey.id,
          publicKeyId: passkey.credentialId,
          name: '<b>carol’s key</b>',
          owner: 'corp:carol',
        },
      ],
    ]);
    const { denied } = await refusalsOf(web.broker, { actor: 'corp:bob' });
    expect(denied).toContainEqual(
      expect.objectContaining({ action: 'admin.pages', rule: 'admins' }),
    );
  });
});
