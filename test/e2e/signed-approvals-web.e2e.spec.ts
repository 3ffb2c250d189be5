import { PasskeyRegistration } from '#access';
import { relyingParty } from '#domain';
import { ApprovalRow, UnitOfWork, WebAuthnChallengeRow } from '#persistence';
import { WebSessions } from '../../apps/broker/src/web/web-sessions.js';
import { refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { createRequest } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';
import { SIGNED_ROLE_YAML } from '../support/signed-role.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';

const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no form token on the page');
  return match[1];
};

/** An assertion of the right shape whose bytes prove nothing. */
const fabricated = {
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  clientExtensionResults: {},
  response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
};

/**
 * The signed-approval endpoints over HTTP (docs/api.md §6): the request page runs the approve
 * script only where its approver signs; both JSON steps need the form token and a strict body; an
 * approver without a passkey is refused options; an assertion answers the nonce it was given.
 * The ceremony in a real browser is signed-approvals-browser.e2e.
 */
describe.each(DATABASE_KINDS)('signed approvals over HTTP on %s', (kind) => {
  let web: WebSetup;
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    web = await startWebBroker(kind, { extraYaml: SIGNED_ROLE_YAML });
  });

  afterAll(async () => {
    await web.close();
  });

  const dataSource = () => web.broker.app.get(UnitOfWork).dataSource;
  const challenges = () => dataSource().getRepository(WebAuthnChallengeRow).count();
  const approvalsOf = (requestId: string) =>
    dataSource().getRepository(ApprovalRow).findBy({ requestId });
  const signedRequest = () =>
    createRequest(web.broker, 'alice', { role: 'signed-deploy', duration: '10m' });

  async function browserOf(user: string) {
    let cookie = cookies.get(user);
    if (!cookie) {
      cookie = (await signInOverHttp(web.url, user, '/requests')).cookie;
      cookies.set(user, cookie);
    }
    const session = cookie;
    return {
      cookie: session,
      get: (path: string) => web.broker.http.get(path).set('cookie', session),
      form: (path: string, form: Record<string, string>) =>
        web.broker.http.post(path).set('cookie', session).type('form').send(form),
      json: (path: string, body: object) =>
        web.broker.http.post(path).set('cookie', session).send(body),
      csrf: async () =>
        csrfOf((await web.broker.http.get('/requests').set('cookie', session)).text),
    };
  }

  /** A passkey for the signed-in `user`, registered through the broker's own ceremony. */
  async function registerPasskey(user: string): Promise<SoftAuthenticator> {
    const { cookie } = await browserOf(user);
    const session = await web.broker.app.get(WebSessions).find(cookie.split('=')[1]);
    if (!session) throw new Error(`${user} has no session`);
    const registration = web.broker.app.get(PasskeyRegistration);
    const authenticator = SoftAuthenticator.create();
    const options = await registration.options(session);
    const origin = relyingParty(web.broker.config.publicUrl).origin;
    await registration.register(session, authenticator.register(options, origin), 'test key');
    return authenticator;
  }

  it('runs the approve script on the request page only where its approver signs', async () => {
    const request = await signedRequest();
    const page = `/requests/${request.id}`;
    const plain = await createRequest(web.broker, 'alice');
    // erin has no passkey: on a signed role, a link to register one, no script; elsewhere, plain.
    const erin = await browserOf('erin');
    const unsigned = await erin.get(page).expect(200);
    expect(unsigned.headers['content-security-policy']).not.toContain('script-src');
    expect(unsigned.text).toContain('<a href="/me/passkeys/new">register one first</a>');
    expect(unsigned.text).not.toContain('class="approve"');
    expect(unsigned.text).toContain(`action="${page}/deny"`);
    const plainPage = await erin.get(`/requests/${plain.id}`).expect(200);
    expect(plainPage.headers['content-security-policy']).not.toContain('script-src');
    expect(plainPage.text).toMatch(/class="approve">Approve<\/button>/);

    // With a passkey, both roles' pages sign, and may run exactly that script.
    await registerPasskey('erin');
    for (const id of [request.id, plain.id]) {
      const signing = await erin.get(`/requests/${id}`).expect(200);
      expect(signing.headers['content-security-policy']).toContain(
        `script-src ${web.url}/assets/approve.js;connect-src 'self'`,
      );
      expect(signing.text).toContain('<script src="/assets/approve.js" defer></script>');
      expect(signing.text).toContain('Approve with passkey');
    }
    // alice, who may not approve her own request, runs nothing.
    const alice = await browserOf('alice');
    const own = await alice.get(page).expect(200);
    expect(own.headers['content-security-policy']).not.toContain('script-src');
    const script = await web.broker.http.get('/assets/approve.js').expect(200);
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.text).toContain('navigator.credentials.get');
    // The JSON steps are POSTs only.
    await erin.get(`${page}/approval`).expect(404);
    await erin.get(`${page}/approval/options`).expect(404);
    expect(await challenges()).toBe(0);
  });

  it('refuses both steps without the form token, and signed out, with JSON', async () => {
    const request = await signedRequest();
    const path = `/requests/${request.id}/approval`;
    const bob = await browserOf('bob');
    const refused = [
      await bob.json(`${path}/options`, {}),
      await bob.json(`${path}/options`, { csrf: 'forged' }),
      await bob.json(path, { response: fabricated }),
      await bob.json(path, { csrf: 'forged', response: fabricated }),
    ];
    expect(refused.map((answer) => answer.status)).toEqual([403, 403, 403, 403]);
    for (const answer of refused)
      expect(answer.body).toMatchObject({ error: 'forbidden', reason: 'csrf_token_invalid' });
    const csrf = await bob.csrf();
    const signedOut = [
      await web.broker.http.post(`${path}/options`).send({ csrf }),
      await web.broker.http.post(path).send({ csrf, response: fabricated }),
    ];
    expect(signedOut.map((answer) => answer.status)).toEqual([401, 401]);
    expect(signedOut[0].body).toMatchObject({ error: 'unauthenticated' });
    expect(await challenges()).toBe(0);
    expect(await approvalsOf(request.id)).toEqual([]);
  });

  it('refuses unknown and oversized fields before anything is used', async () => {
    const request = await signedRequest();
    const path = `/requests/${request.id}/approval`;
    const bob = await browserOf('bob');
    const csrf = await bob.csrf();
    const bodies = [
      { csrf, extra: 1 },
      { csrf, response: fabricated, extra: 1 },
      { csrf, response: { ...fabricated, extra: 1 } },
      { csrf, response: { ...fabricated, response: { ...fabricated.response, extra: 'x' } } },
      {
        csrf,
        response: {
          ...fabricated,
          response: { ...fabricated.response, signature: 'A'.repeat(2049) },
        },
      },
      { csrf, response: { ...fabricated, type: 'password' } },
      { csrf, comment: 'x'.repeat(1001), response: fabricated },
    ];
    const answers = [
      await bob.json(`${path}/options`, bodies[0]),
      ...(await Promise.all(bodies.slice(1).map((body) => bob.json(path, body)))),
    ];
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 400));
    expect(answers[1].body).toMatchObject({ error: 'invalid_request' });
    expect(await challenges()).toBe(0);
    expect(await approvalsOf(request.id)).toEqual([]);
  });

  it('refuses options to an approver without a passkey, in words', async () => {
    const request = await signedRequest();
    const carol = await browserOf('carol');
    const answer = await carol
      .json(`/requests/${request.id}/approval/options`, { csrf: await carol.csrf() })
      .expect(403);
    expect(answer.body).toMatchObject({ error: 'signature_required', reason: 'no_passkey' });
    expect(answer.body.message).toContain('/me/passkeys');
    // The plain form is refused too: this role's approvals are signed.
    const page = await carol
      .form(`/requests/${request.id}/approve`, { csrf: await carol.csrf() })
      .expect(403);
    expect(page.text).toContain('signature_required');
    const { refused } = await refusalsOf(web.broker, { requestId: request.id });
    expect(refused.map((event) => event.reason)).toEqual(['no_passkey', 'signature_required']);
    expect(await approvalsOf(request.id)).toEqual([]);
  });

  it('records an approval signed over the nonce it was given, and only that', async () => {
    const request = await signedRequest();
    const path = `/requests/${request.id}/approval`;
    const authenticator = await registerPasskey('bob');
    const bob = await browserOf('bob');
    const csrf = await bob.csrf();
    // The broker's relying party: its public URL's host and origin.
    const rpId = '127.0.0.1';
    const origin = web.url;
    const options = (await bob.json(`${path}/options`, { csrf }).expect(200)).body as {
      challenge: string;
      rpId: string;
      userVerification: string;
      allowCredentials: { id: string }[];
    };
    expect(options).toMatchObject({ rpId, userVerification: 'required' });
    expect(options.allowCredentials.map((known) => known.id)).toEqual([authenticator.credentialId]);
    expect(await challenges()).toBe(1);

    // Signed over something else: refused, and the nonce is used up with it.
    const forged = authenticator.assert('c29tZXRoaW5nIGVsc2U', rpId, origin);
    const refused = await bob.json(path, { csrf, response: forged }).expect(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', reason: 'signature_invalid' });
    expect(await challenges()).toBe(0);
    const late = authenticator.assert(options.challenge, rpId, origin);
    const lapsed = await bob.json(path, { csrf, response: late }).expect(403);
    expect(lapsed.body.message).toContain('no signing under way');

    const fresh = (await bob.json(`${path}/options`, { csrf }).expect(200)).body as {
      challenge: string;
    };
    const signed = authenticator.assert(fresh.challenge, rpId, origin);
    const approved = await bob
      .json(path, { csrf, comment: 'checked the diff', response: signed })
      .expect(200);
    expect(approved.body).toEqual({ status: 'approved' });
    const [approval] = await approvalsOf(request.id);
    expect(approval).toMatchObject({
      approver: 'corp:bob',
      comment: 'checked the diff',
      signature: {
        kind: 'passkey',
        credentialId: authenticator.credentialId,
        rpId,
        origin,
        signature: signed.response.signature,
      },
    });
  });
});
