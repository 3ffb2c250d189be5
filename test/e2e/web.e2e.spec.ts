import { FixedClock } from '#domain';
import { auditHead, auditTrail, refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest, mintQuickGrant } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';

const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no form token on the page');
  return match[1];
};

/** docs/api.md §6 over HTTP: sign-in, sessions, CSRF, what each page shows and to whom. */
describe.each(DATABASE_KINDS)('web pages on %s', (kind) => {
  let web: WebSetup;
  // The broker's clock: real time until a test moves it past a session's end.
  const clock = new FixedClock(new Date());
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    web = await startWebBroker(kind, { clock });
  });

  afterAll(async () => {
    await web.close();
  });

  /** A signed-in browser, one sign-in per user for the file. */
  async function browserOf(user: string) {
    let cookie = cookies.get(user);
    if (!cookie) {
      cookie = (await signInOverHttp(web.url, user)).cookie;
      cookies.set(user, cookie);
    }
    const jar = cookie;
    return {
      cookie: jar,
      get: (path: string) => web.broker.http.get(path).set('cookie', jar),
      post: (path: string, form: Record<string, string>) =>
        web.broker.http.post(path).set('cookie', jar).type('form').send(form),
      /** The form token from one of the session's pages. */
      csrf: async () => csrfOf((await web.broker.http.get('/requests').set('cookie', jar)).text),
    };
  }

  const apiView = async (id: string) =>
    (await (await as(web.broker, 'alice')).get(`/v1/requests/${id}`).expect(200)).body as {
      status: string;
      approvals: unknown[];
    };

  it('signs in at the provider with a short, HttpOnly, SameSite=Lax session cookie', async () => {
    const signedIn = await signInOverHttp(web.url, 'bob', '/requests?from=link');
    expect(signedIn.location).toBe(`${web.url}/requests?from=link`);
    expect(signedIn.setCookie).toMatch(/^cs_session=[A-Za-z0-9_-]{43};/);
    expect(signedIn.setCookie).toMatch(/Max-Age=3600/);
    expect(signedIn.setCookie).toMatch(/HttpOnly/);
    expect(signedIn.setCookie).toMatch(/SameSite=Lax/);
    expect(signedIn.setCookie).toMatch(/Path=\//);
    // publicUrl is http here; Secure is added when it is https.
    expect(signedIn.setCookie).not.toMatch(/Secure/);
    const page = await web.broker.http.get('/requests').set('cookie', signedIn.cookie).expect(200);
    expect(page.text).toContain('corp:bob');
  });

  it('refuses to send anyone elsewhere after sign-in (open redirect)', async () => {
    for (const returnTo of ['https://evil.example/x', '//evil.example/x', '/\\evil.example']) {
      const signedIn = await signInOverHttp(web.url, 'carol', returnTo);
      expect(signedIn.location).toBe(`${web.url}/requests`);
    }
  });

  it('sends a GET without a (valid) session to sign in and back, and refuses a POST', async () => {
    const request = await createRequest(web.broker, 'alice');
    const login = `/auth/login?returnTo=${encodeURIComponent(`/requests/${request.id}`)}`;
    for (const cookie of ['', 'cs_session=not-a-session', `cs_session=${'A'.repeat(43)}`]) {
      const response = await web.broker.http.get(`/requests/${request.id}`).set('cookie', cookie);
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe(login);
    }
    await web.broker.http
      .post(`/requests/${request.id}/approve`)
      .type('form')
      .send({ csrf: 'x' })
      .expect(401);
    await web.broker.http.get('/admin').expect(303);
    expect((await apiView(request.id)).status).toBe('pending');
  });

  it('shows an approver the request and its forms; a GET changes nothing', async () => {
    const request = await createRequest(web.broker, 'alice', {
      role: 'prod-db-admin',
      duration: '30m',
      justification: 'INC-7 <script>alert(1)</script>',
    });
    const bob = await browserOf('bob');
    for (let i = 0; i < 2; i += 1) {
      const page = await bob.get(`/requests/${request.id}`).expect(200);
      for (const shown of ['prod-db-admin', 'postgres://prod/payments', 'corp:alice', '30m'])
        expect(page.text).toContain(shown);
      expect(page.text).toContain('INC-7 &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).not.toContain('<script');
      expect(page.text).toContain(`action="/requests/${request.id}/approve"`);
      expect(page.text).toContain(`action="/requests/${request.id}/deny"`);
    }
    expect(await apiView(request.id)).toMatchObject({ status: 'pending', approvals: [] });
    expect(await auditTrail(web.broker, { requestId: request.id })).toEqual([
      expect.objectContaining({ type: 'policy.evaluated' }),
      expect.objectContaining({ type: 'request.created' }),
    ]);
  });

  it('refuses a POST without or with a wrong form token (403) and changes nothing', async () => {
    const request = await createRequest(web.broker, 'alice');
    const bob = await browserOf('bob');
    const carol = await browserOf('carol');
    const forms: Record<string, string>[] = [
      {},
      { csrf: '' },
      { csrf: 'forged' },
      { csrf: await carol.csrf() },
    ];
    for (const form of forms) {
      const response = await bob.post(`/requests/${request.id}/approve`, form).expect(403);
      expect(response.text).toContain('csrf_token_invalid');
    }
    await bob.post(`/requests/${request.id}/deny`, { reason: 'no' }).expect(403);
    expect(await apiView(request.id)).toMatchObject({ status: 'pending', approvals: [] });
    const types = (await auditTrail(web.broker, { requestId: request.id })).map((e) => e.type);
    expect(types).toEqual(['policy.evaluated', 'request.created']);
  });

  it('approves and denies through POST forms, then shows the page again (303)', async () => {
    const approved = await createRequest(web.broker, 'alice');
    const bob = await browserOf('bob');
    const csrf = await bob.csrf();
    const response = await bob
      .post(`/requests/${approved.id}/approve`, { csrf, comment: 'ok from the web' })
      .expect(303);
    expect(response.headers.location).toBe(`/requests/${approved.id}`);
    expect(await apiView(approved.id)).toMatchObject({
      status: 'approved',
      approvals: [expect.objectContaining({ approver: 'corp:bob', comment: 'ok from the web' })],
    });
    const page = await bob.get(`/requests/${approved.id}`).expect(200);
    expect(page.text).not.toContain('/approve"');

    const denied = await createRequest(web.broker, 'alice');
    await bob.post(`/requests/${denied.id}/deny`, { csrf, reason: 'not now' }).expect(303);
    expect((await apiView(denied.id)).status).toBe('denied');
    await bob.post(`/requests/${denied.id}/deny`, { csrf }).expect(400);
  });

  it('shows the requester no Approve form, and refuses her forged POST as the API does', async () => {
    const request = await createRequest(web.broker, 'alice');
    const alice = await browserOf('alice');
    const page = await alice.get(`/requests/${request.id}`).expect(200);
    expect(page.text).not.toContain('/approve"');
    expect(page.text).toContain('the requester cannot approve its own request');
    expect(page.text).toContain('self_approval');
    const forged = await alice
      .post(`/requests/${request.id}/approve`, { csrf: csrfOf(page.text) })
      .expect(403);
    expect(forged.text).toContain('self_approval');
    const { refused } = await refusalsOf(web.broker, { requestId: request.id });
    expect(refused).toEqual([
      expect.objectContaining({ type: 'approval.refused', reason: 'self_approval' }),
    ]);
    expect(await apiView(request.id)).toMatchObject({ status: 'pending', approvals: [] });
    // Her own request she may cancel.
    await alice.post(`/requests/${request.id}/cancel`, { csrf: csrfOf(page.text) }).expect(303);
    expect((await apiView(request.id)).status).toBe('cancelled');
  });

  it('answers the same 404 page for a missing id, a malformed id and one not visible', async () => {
    const request = await createRequest(web.broker, 'alice');
    const mallory = await browserOf('mallory');
    const pages = await Promise.all(
      [request.id, '00000000-0000-4000-8000-000000000000', 'not-an-id'].map((id) =>
        mallory.get(`/requests/${id}`).expect(404),
      ),
    );
    expect(new Set(pages.map((p) => p.text)).size).toBe(1);
    expect(pages[0].text).not.toContain(request.id);
    const forged = await mallory.post(`/requests/${request.id}/approve`, {
      csrf: await mallory.csrf(),
    });
    expect(forged.status).toBe(404);
    expect(forged.text).toBe(pages[0].text);
    expect(await apiView(request.id)).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('lists my requests and those waiting for me', async () => {
    const request = await createRequest(web.broker, 'alice', {
      role: 'two-person',
      justification: 'listed',
    });
    const erin = await browserOf('erin');
    const waiting = await erin.get('/requests').expect(200);
    expect(waiting.text).toContain(`href="/requests/${request.id}"`);
    const alice = await browserOf('alice');
    const mine = await alice.get('/requests').expect(200);
    expect(mine.text).toContain(`href="/requests/${request.id}"`);
    const mallory = await browserOf('mallory');
    expect((await mallory.get('/requests').expect(200)).text).not.toContain(request.id);
  });

  it('sends security headers and a strict CSP on every page', async () => {
    const bob = await browserOf('bob');
    const response = await bob.get('/requests').expect(200);
    const csp = String(response.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "style-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('script-src');
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const css = await web.broker.http.get('/assets/web.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('gives links.web to eligible approvers over the API, and to nobody else', async () => {
    const request = await createRequest(web.broker, 'alice');
    const link = `${web.url}/requests/${request.id}`;
    expect(request.links).toBeUndefined();
    const bobView = await (await as(web.broker, 'bob')).get(`/v1/requests/${request.id}`);
    expect(bobView.body.links).toEqual({ web: link });
    const listed = await (await as(web.broker, 'bob')).get('/v1/requests?toApprove=true');
    const item = (listed.body.items as { id: string; links?: unknown }[]).find(
      (r) => r.id === request.id,
    );
    expect(item?.links).toEqual({ web: link });
    for (const user of ['alice', 'dave']) {
      const view = await (await as(web.broker, user)).get(`/v1/requests/${request.id}`);
      // dave (admin, sre-leads) may approve too; alice never.
      expect(view.body.links).toEqual(user === 'dave' ? { web: link } : undefined);
    }
    const approved = await (
      await as(web.broker, 'bob')
    )
      .post(`/v1/requests/${request.id}/approve`)
      .expect(200);
    expect(approved.body.links).toEqual({ web: link });
  });

  it('shows admins pending requests, active grants (with Revoke) and the audit chain', async () => {
    const grant = await mintQuickGrant(web.broker, '5m');
    await (await browserOf('bob')).get('/admin').expect(404);
    const dave = await browserOf('dave');
    const admin = await dave.get('/admin').expect(200);
    expect(admin.text).toContain('href="/admin/chain"');
    const chain = await dave.get('/admin/chain').expect(200);
    expect(chain.text).toContain('Audit chain intact');
    expect(chain.text).toMatch(/matches the signed checkpoint of \d+ events/);
    expect(admin.text).toContain(`action="/admin/grants/${grant.grantId}/revoke"`);
    const revoked = await dave
      .post(`/admin/grants/${grant.grantId}/revoke`, { csrf: csrfOf(admin.text), reason: 'web' })
      .expect(303);
    expect(revoked.headers.location).toBe('/admin');
    const view = await (await as(web.broker, 'dave')).get(`/v1/grants/${grant.grantId}`);
    expect(view.body).toMatchObject({ status: 'revoked', revokedReason: 'web' });
    await (
      await browserOf('alice')
    )
      .post(`/admin/grants/${grant.grantId}/revoke`, {
        csrf: await (await browserOf('alice')).csrf(),
        reason: 'x',
      })
      .expect(404);
  });

  it('filters and pages the audit log for admins only', async () => {
    const request = await createRequest(web.broker, 'alice');
    const dave = await browserOf('dave');
    const filtered = await dave
      .get(`/admin/audit?requestId=${request.id}&type=&actor=`)
      .expect(200);
    expect(filtered.text).toContain('request.created');
    expect(filtered.text).not.toContain('approval.recorded');
    const firstPage = await dave.get('/admin/audit?limit=2').expect(200);
    const next = /href="(\/admin\/audit\?[^"]*cursor=\d+[^"]*)"/.exec(firstPage.text);
    expect(next).not.toBeNull();
    await dave.get((next as RegExpExecArray)[1].replaceAll('&amp;', '&')).expect(200);
    await dave.get('/admin/audit?since=yesterday').expect(400);
    await (await browserOf('erin')).get('/admin/audit').expect(404);
  });

  it("answers a non-admin's admin page 404, and audits the refusal as the API does", async () => {
    const grant = await mintQuickGrant(web.broker, '5m');
    const erin = await browserOf('erin');
    const csrf = await erin.csrf();
    const since = await auditHead(web.broker);
    const pages = [
      await erin.get('/admin'),
      await erin.get('/admin/audit?since=yesterday'),
      await erin.post(`/admin/grants/${grant.grantId}/revoke`, { csrf, reason: 'x' }),
    ];
    expect(pages.map((page) => page.status)).toEqual([404, 404, 404]);
    expect((await erin.get('/requests')).text).not.toContain('href="/admin"');
    const events = await auditTrail(web.broker, { cursor: since, actor: 'corp:erin' });
    expect(events.map((e) => [e.type, e.data.action, e.data.reason])).toEqual(
      pages.flatMap(() => [
        ['policy.evaluated', 'admin.pages', 'not_admin'],
        ['audit.refused', 'admin.pages', 'not_admin'],
      ]),
    );
    const view = await (await as(web.broker, 'dave')).get(`/v1/grants/${grant.grantId}`);
    expect(view.body).toMatchObject({ status: 'active' });
  });

  it('has no demo sign-in with a real config', async () => {
    await web.broker.http.get('/auth/demo').expect(404);
    await web.broker.http.post('/auth/demo').type('form').send({ user: 'dave' }).expect(404);
  });

  it('ends the session at sign-out, and after an hour', async () => {
    const signedIn = await signInOverHttp(web.url, 'frank');
    const page = await web.broker.http.get('/requests').set('cookie', signedIn.cookie).expect(200);
    const out = await web.broker.http
      .post('/auth/logout')
      .set('cookie', signedIn.cookie)
      .type('form')
      .send({ csrf: csrfOf(page.text) })
      .expect(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^cs_session=;.*Expires=Thu, 01 Jan 1970/);
    await web.broker.http.get('/requests').set('cookie', signedIn.cookie).expect(303);

    const later = await signInOverHttp(web.url, 'frank');
    await web.broker.http.get('/requests').set('cookie', later.cookie).expect(200);
    clock.advance(3601);
    await web.broker.http.get('/requests').set('cookie', later.cookie).expect(303);
  });
});
