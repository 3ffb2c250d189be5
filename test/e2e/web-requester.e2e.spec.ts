import { FixedClock } from '#domain';
import { auditHead, auditTrail, refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';

const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no form token on the page');
  return match[1];
};

interface RequestBody {
  id: string;
  status: string;
  role: string;
  justification?: string;
  intent?: { actions: string[]; resource: string };
  grantId?: string;
  extends?: string;
}

/** The requester's pages (docs/api.md §6) over HTTP: what each shows, CSRF, GET-safety, refusals. */
describe.each(DATABASE_KINDS)('the requester pages on %s', (kind) => {
  let web: WebSetup;
  // Fixed: time left is exact. Sessions last an hour of it; nothing here moves it that far.
  const clock = new FixedClock(new Date());
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    web = await startWebBroker(kind, { clock });
  });

  afterAll(async () => {
    await web.close();
  });

  async function browserOf(user: string) {
    let cookie = cookies.get(user);
    if (!cookie) {
      cookie = (await signInOverHttp(web.url, user, '/me')).cookie;
      cookies.set(user, cookie);
    }
    const jar = cookie;
    return {
      get: (path: string) => web.broker.http.get(path).set('cookie', jar),
      post: (path: string, form: Record<string, string | string[]>) =>
        web.broker.http.post(path).set('cookie', jar).type('form').send(form),
      csrf: async () => csrfOf((await web.broker.http.get('/me').set('cookie', jar)).text),
    };
  }

  /** alice's requests, as the API shows them (the clock is fixed: found by content, not order). */
  const aliceRequests = async (): Promise<RequestBody[]> => {
    const list = await (await as(web.broker, 'alice')).get('/v1/requests?mine=true').expect(200);
    return (list.body as { items: RequestBody[] }).items;
  };
  const findMine = async (match: (request: RequestBody) => boolean): Promise<RequestBody> => {
    const found = (await aliceRequests()).find(match);
    if (!found) throw new Error('no such request of alice');
    return found;
  };
  const apiRequest = async (id: string): Promise<RequestBody> =>
    (await (await as(web.broker, 'alice')).get(`/v1/requests/${id}`).expect(200))
      .body as RequestBody;

  /** alice files through the form; bob approves over the API. */
  async function approvedThroughTheForm(justification = 'INC-9 on the web'): Promise<RequestBody> {
    const alice = await browserOf('alice');
    await alice
      .post('/me/requests', {
        csrf: await alice.csrf(),
        role: 'prod-db-admin',
        duration: '15m',
        justification,
      })
      .expect(303)
      .expect('location', '/me');
    const filed = await findMine((r) => r.justification === justification);
    expect(filed).toMatchObject({ role: 'prod-db-admin', status: 'pending' });
    await (await as(web.broker, 'bob')).post(`/v1/requests/${filed.id}/approve`).expect(200);
    return filed;
  }

  it('shows the roles one may request, and to nobody else; GETs change nothing', async () => {
    const before = await auditHead(web.broker);
    const alice = await browserOf('alice');
    const page = await alice.get('/me').expect(200).expect('cache-control', 'no-store');
    for (const role of ['prod-db-admin', 'two-person', 'quick'])
      expect(page.text).toContain(`href="/me/request?role=${role}"`);
    expect(page.text).toContain('href="/me">My access</a>');
    const form = await alice.get('/me/request?role=prod-db-admin').expect(200);
    expect(form.text).toContain('action="/me/requests"');
    expect(form.text).toContain('name="actions" value="db:read"');
    expect(form.text).toMatch(/<textarea[^>]*required/);
    // bob is no requester of any role; dave, an admin, sees every role on the API but none here.
    for (const user of ['bob', 'dave']) {
      const other = await browserOf(user);
      expect((await other.get('/me').expect(200)).text).toContain('no role you may request');
      await other.get('/me/request?role=prod-db-admin').expect(404);
    }
    await alice.get('/me/request?role=no-such-role').expect(404);
    await alice.get('/me/request').expect(400);
    expect(await auditHead(web.broker)).toEqual(before);
  });

  it('files a request narrowed by intent through the form', async () => {
    const alice = await browserOf('alice');
    await alice
      .post('/me/requests', {
        csrf: await alice.csrf(),
        role: 'prod-db-admin',
        duration: '',
        justification: 'INC-10',
        actions: 'db:read',
        resource: 'postgres://prod/payments/ledger',
      })
      .expect(303);
    const filed = await findMine((r) => r.justification === 'INC-10');
    expect(filed).toMatchObject({
      status: 'pending',
      intent: { actions: ['db:read'], resource: 'postgres://prod/payments/ledger' },
    });
    const page = (await alice.get('/me').expect(200)).text;
    expect(page).toContain(`id="request-${filed.id}"`);
    expect(page).toContain('0 of 1 approvals so far');
  });

  it('refuses in words: not a requester, too long, no justification, wider than the role', async () => {
    const alice = await browserOf('alice');
    const carol = await browserOf('carol');
    const csrf = await alice.csrf();
    const refused = await carol
      .post('/me/requests', { csrf: await carol.csrf(), role: 'prod-db-admin', justification: 'x' })
      .expect(403);
    expect(refused.text).toContain('not_a_requester');
    expect(refused.text).toContain('href="/me"');
    const cases: [Record<string, string>, string][] = [
      [{ duration: '2h', justification: 'x' }, 'exceeds the role&#39;s maxDuration of 1h'],
      [{ duration: '15m' }, 'justification: is required for this role'],
      [{ duration: 'soon', justification: 'x' }, 'duration: use 90s, 15m, 1h, 1d'],
      [{ justification: 'x', actions: 'db:drop' }, 'intent.actions: not among the role&#39;s'],
    ];
    const before = (await aliceRequests()).length;
    for (const [fields, words] of cases) {
      const page = await alice
        .post('/me/requests', { csrf, role: 'prod-db-admin', ...fields })
        .expect(400);
      expect(page.text).toContain(words);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
    }
    expect(await aliceRequests()).toHaveLength(before);
    // An unknown field is a refusal too, not ignored.
    await alice.post('/me/requests', { csrf, role: 'quick', approver: 'corp:alice' }).expect(400);
  });

  it('refuses a POST without a session or a valid form token, and changes nothing', async () => {
    const alice = await browserOf('alice');
    const carol = await browserOf('carol');
    const before = (await aliceRequests()).length;
    const form = { role: 'quick', duration: '1m' };
    for (const csrf of [undefined, '', 'forged', await carol.csrf()]) {
      const page = await alice
        .post('/me/requests', csrf === undefined ? form : { ...form, csrf })
        .expect(403);
      expect(page.text).toContain('csrf_token_invalid');
    }
    await web.broker.http
      .post('/me/requests')
      .type('form')
      .send({ ...form, csrf: await alice.csrf() })
      .expect(401);
    const signedOut = await web.broker.http.get('/me').expect(303);
    expect(signedOut.headers.location).toBe('/auth/login?returnTo=%2Fme');
    expect(await aliceRequests()).toHaveLength(before);
  });

  it('collects a credential once, in the answer to a POST that nothing caches', async () => {
    const filed = await approvedThroughTheForm();
    const alice = await browserOf('alice');
    const overview = (await alice.get('/me').expect(200)).text;
    expect(overview).toContain(`action="/me/requests/${filed.id}/collect"`);
    // A GET of the action is no way in: no such page, nothing minted.
    await alice.get(`/me/requests/${filed.id}/collect`).expect(404);
    // bob approved it: he may not collect it (separation); carol, an approver of the role, is not
    // its recipient; mallory may not see it at all.
    const bob = await browserOf('bob');
    const bobs = await bob.post(`/me/requests/${filed.id}/collect`, { csrf: await bob.csrf() });
    expect(bobs.status).toBe(403);
    expect(bobs.text).toContain('recipient_is_approver');
    const carol = await browserOf('carol');
    const carols = await carol.post(`/me/requests/${filed.id}/collect`, {
      csrf: await carol.csrf(),
    });
    expect(carols.status).toBe(403);
    expect(carols.text).toContain('only the recipient can redeem this request (not_recipient)');
    const mallory = await browserOf('mallory');
    await mallory
      .post(`/me/requests/${filed.id}/collect`, { csrf: await mallory.csrf() })
      .expect(404);
    expect((await apiRequest(filed.id)).status).toBe('approved');

    const csrf = await alice.csrf();
    const answer = await alice
      .post(`/me/requests/${filed.id}/collect`, { csrf })
      .expect(200)
      .expect('cache-control', 'no-store');
    const token = /<pre class="secret" id="copy-token">([^<]+)<\/pre>/.exec(answer.text)?.[1];
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(answer.text).toContain(`export COUNTERSIGN_CREDENTIAL=&#39;${token}&#39;`);
    expect(answer.text).toContain('<script src="/assets/copy.js" defer></script>');
    const policy = answer.headers['content-security-policy'];
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(new RegExp(`;script-src ${web.url}/assets/copy\\.js$`));
    const introspected = await (
      await as(web.broker, 'bob')
    )
      .post('/v1/introspect', { token })
      .expect(200);
    expect(introspected.body).toMatchObject({ active: true, role: 'prod-db-admin' });

    // Never again: a second POST is refused in words, and no GET page carries it.
    const again = await alice.post(`/me/requests/${filed.id}/collect`, { csrf }).expect(409);
    expect(again.text).toContain('already issued');
    expect(again.text).not.toContain(token);
    const after = (await alice.get('/me').expect(200)).text;
    expect(after).not.toContain(token ?? 'no token');
    const grantId = (await apiRequest(filed.id)).grantId ?? '';
    expect(after).toContain(`id="grant-${grantId}"`);
    expect(after).toMatch(/<td class="left">15m 00s<\/td>/);
    expect(after).toContain('15m 00s left');
    // The other pages run no script; the script itself is served as one, from here.
    expect((await alice.get('/me')).headers['content-security-policy']).not.toContain('script');
    const script = await web.broker.http.get('/assets/copy.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('shows a denial with who denied it and why, escaped', async () => {
    const alice = await browserOf('alice');
    await alice
      .post('/me/requests', {
        csrf: await alice.csrf(),
        role: 'quick',
        duration: '1m',
        justification: 'INC-13',
      })
      .expect(303);
    const filed = await findMine((r) => r.justification === 'INC-13');
    const reason = 'not now <img src=x onerror=alert(1)> & "later"';
    await (await as(web.broker, 'bob')).post(`/v1/requests/${filed.id}/deny`, { reason });
    const page = (await alice.get('/me').expect(200)).text;
    expect(page).toContain(
      'denied by <span class="mono">corp:bob</span>: “not now &lt;img src=x onerror=alert(1)&gt; &amp; &quot;later&quot;”',
    );
    expect(page).not.toContain('<img');
  });

  it('extends a grant through the form, then collects the extension', async () => {
    const filed = await approvedThroughTheForm('INC-11');
    const alice = await browserOf('alice');
    await alice.post(`/me/requests/${filed.id}/collect`, { csrf: await alice.csrf() }).expect(200);
    const grantId = (await apiRequest(filed.id)).grantId ?? '';
    const grantBefore = await (await as(web.broker, 'alice')).get(`/v1/grants/${grantId}`);
    const csrf = await alice.csrf();

    // Others may not: bob cannot see it (404); an extension is bounded like a request.
    const bob = await browserOf('bob');
    await bob
      .post(`/me/grants/${grantId}/extend`, { csrf: await bob.csrf(), duration: '5m' })
      .expect(404);
    const tooLong = await alice
      .post(`/me/grants/${grantId}/extend`, { csrf, duration: '2h', justification: 'long' })
      .expect(400);
    expect(tooLong.text).toContain('duration: exceeds the role&#39;s maxDuration of 1h');
    await alice.post(`/me/grants/${grantId}/extend`, { csrf, justification: 'x' }).expect(400);

    await alice
      .post(`/me/grants/${grantId}/extend`, { csrf, duration: '30m', justification: 'INC-11 on' })
      .expect(303)
      .expect('location', '/me');
    const extension = await findMine((r) => r.extends === grantId);
    expect(extension).toMatchObject({ extends: grantId, status: 'pending' });
    let page = (await alice.get('/me').expect(200)).text;
    expect(page).toContain(`<a href="/requests/${extension.id}">extension pending</a>`);
    const twice = await alice
      .post(`/me/grants/${grantId}/extend`, { csrf, duration: '5m', justification: 'again' })
      .expect(409);
    expect(twice.text).toContain('extension_pending');

    await (await as(web.broker, 'bob')).post(`/v1/requests/${extension.id}/approve`).expect(200);
    page = (await alice.get('/me').expect(200)).text;
    expect(page).toContain('Collect the extension');
    const answer = await alice
      .post(`/me/requests/${extension.id}/collect`, { csrf })
      .expect(200)
      .expect('cache-control', 'no-store');
    expect(answer.text).toContain('id="extended"');
    expect(answer.text).toContain('id="copy-token"');
    const grant = await (await as(web.broker, 'alice')).get(`/v1/grants/${grantId}`).expect(200);
    const moved =
      new Date(grant.body.expiresAt as string).getTime() -
      new Date(grantBefore.body.expiresAt as string).getTime();
    expect(moved).toBe(30 * 60 * 1000);
    expect((await alice.get('/me').expect(200)).text).toContain('45m 00s left');
  });

  it('revokes a grant with a reason; without one nothing happens', async () => {
    const filed = await approvedThroughTheForm('INC-12');
    const alice = await browserOf('alice');
    const csrf = await alice.csrf();
    await alice.post(`/me/requests/${filed.id}/collect`, { csrf }).expect(200);
    const grantId = (await apiRequest(filed.id)).grantId ?? '';
    await alice.post(`/me/grants/${grantId}/revoke`, { csrf }).expect(400);
    await alice.post(`/me/grants/${grantId}/revoke`, { csrf, reason: '' }).expect(400);
    const carol = await browserOf('carol');
    await carol
      .post(`/me/grants/${grantId}/revoke`, { csrf: await carol.csrf(), reason: 'mine now' })
      .expect(404);
    expect((await refusalsOf(web.broker, { type: 'grant.refused' })).refused).toContainEqual(
      expect.objectContaining({ action: 'revoke', grantId }),
    );
    const grantView = async () =>
      (await (await as(web.broker, 'alice')).get(`/v1/grants/${grantId}`).expect(200))
        .body as Record<string, unknown>;
    expect(await grantView()).toMatchObject({ status: 'active' });

    await alice
      .post(`/me/grants/${grantId}/revoke`, { csrf, reason: 'done <b>early</b>' })
      .expect(303)
      .expect('location', '/me');
    expect(await grantView()).toMatchObject({
      status: 'revoked',
      revokedReason: 'done <b>early</b>',
    });
    const page = (await alice.get('/me').expect(200)).text;
    expect(page).not.toContain(`id="grant-${grantId}"`);
    expect(page).toContain('“done &lt;b&gt;early&lt;/b&gt;”');
    const events = await auditTrail(web.broker, { requestId: filed.id });
    expect(events.map((e) => e.type)).toContain('credential.issued');
  });
});
