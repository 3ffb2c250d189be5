import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { demoConfigYaml, parseConfig } from '#config';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import { freePort } from '../support/browser.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

const field = (page: string, name: string): string => {
  const match = new RegExp(`name="${name}" value="([^"]+)"`).exec(page);
  if (!match) throw new Error(`no ${name} on the page`);
  return match[1];
};
const cookieFrom = (response: request.Response, name: string): string => {
  const line = ([] as string[])
    .concat(response.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie`);
  return line.split(';')[0];
};

/** The newcomer's web path (docs/api.md §6): pick a demo user, no identity provider needed. */
describe.each(DATABASE_KINDS)('demo sign-in on %s', (kind) => {
  let app: INestApplication;
  let database: FreshDatabase;
  let base: string;
  let http: TestAgent;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    database = await freshDatabase(kind);
    const config = parseConfig(
      demoConfigYaml(),
      { DATABASE_URL: database.url, PORT: String(port), PUBLIC_URL: base },
      { demo: true },
    );
    app = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
    await app.listen(port, '127.0.0.1');
    http = request(app.getHttpServer());
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  async function signIn(user: string, returnTo = '/requests') {
    const chooser = await http.get(`/auth/demo?returnTo=${encodeURIComponent(returnTo)}`);
    expect(chooser.status).toBe(200);
    const login = cookieFrom(chooser, 'cs_login');
    const signedIn = await http
      .post('/auth/demo')
      .set('cookie', login)
      .type('form')
      .send({ csrf: field(chooser.text, 'csrf'), user });
    expect(signedIn.status).toBe(303);
    return { cookie: cookieFrom(signedIn, 'cs_session'), location: signedIn.headers.location };
  }

  it('lists the demo users and signs one in as the API would name them', async () => {
    const chooser = await http.get('/auth/demo').expect(200);
    for (const user of ['alice', 'bob', 'carol', 'dave', 'mallory'])
      expect(chooser.text).toContain(`Sign in as ${user}`);
    const { cookie, location } = await signIn('dave', '/admin');
    expect(location).toBe('/admin');
    const admin = await http.get('/admin').set('cookie', cookie).expect(200);
    expect(admin.text).toContain('demo:dave');
  });

  it('refuses a sign-in without the form token of its own pending login (403)', async () => {
    const chooser = await http.get('/auth/demo').expect(200);
    const login = cookieFrom(chooser, 'cs_login');
    const other = await http.get('/auth/demo').expect(200);
    for (const [cookie, csrf] of [
      [login, 'forged'],
      [login, field(other.text, 'csrf')],
      ['', field(chooser.text, 'csrf')],
    ]) {
      const response = await http
        .post('/auth/demo')
        .set('cookie', cookie)
        .type('form')
        .send({ csrf, user: 'dave' });
      expect(response.status).toBe(403);
      expect(response.headers['set-cookie'] ?? []).not.toContainEqual(
        expect.stringMatching(/^cs_session=[^;]/),
      );
    }
  });

  /** A bearer token for a demo user, from the demo issuer. */
  const token = async (user: string) =>
    (await (await fetch(`${base}/demo/token/${user}`)).text()).trim();

  it('sends a signed-out GET to the demo sign-in, and approves through the page', async () => {
    const created = await fetch(`${base}/v1/requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('alice')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ role: 'prod-db-admin', justification: 'demo' }),
    });
    const { id } = (await created.json()) as { id: string };
    const bounced = await http.get(`/requests/${id}`).expect(303);
    expect(bounced.headers.location).toBe(
      `/auth/demo?returnTo=${encodeURIComponent(`/requests/${id}`)}`,
    );
    const bob = await signIn('bob', `/requests/${id}`);
    expect(bob.location).toBe(`/requests/${id}`);
    const page = await http.get(`/requests/${id}`).set('cookie', bob.cookie).expect(200);
    await http
      .post(`/requests/${id}/approve`)
      .set('cookie', bob.cookie)
      .type('form')
      .send({ csrf: field(page.text, 'csrf') })
      .expect(303);
    const view = await fetch(`${base}/v1/requests/${id}`, {
      headers: { authorization: `Bearer ${await token('alice')}` },
    });
    expect(await view.json()).toMatchObject({ status: 'approved' });
  });

  it("says an admin's lone approval needs one non-admin approval, not '1 of 1'", async () => {
    const call = async (user: string, path: string, body: object) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token(user)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const created = await call('alice', '/v1/requests', {
      role: 'prod-db-admin',
      justification: 'INC-77',
    });
    const { id } = (await created.json()) as { id: string };
    const approved = await call('dave', `/v1/requests/${id}/approve`, {});
    expect(await approved.json()).toMatchObject({ status: 'pending' });

    const bob = await signIn('bob');
    const pending = await http.get(`/requests/${id}`).set('cookie', bob.cookie).expect(200);
    expect(pending.text).toContain('1 of 1, needs one non-admin approval');
    await http
      .post(`/requests/${id}/approve`)
      .set('cookie', bob.cookie)
      .type('form')
      .send({ csrf: field(pending.text, 'csrf') })
      .expect(303);
    const done = await http.get(`/requests/${id}`).set('cookie', bob.cookie).expect(200);
    expect(done.text).toContain('2 (1 needed)');
  });

  it('shows a break-glass activation and takes its review from someone else', async () => {
    const activated = await fetch(`${base}/v1/break-glass`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('alice')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ role: 'prod-db-admin', justification: 'INC-9 outage' }),
    });
    expect(activated.status).toBe(201);
    const { requestId } = (await activated.json()) as { requestId: string };

    const alice = await signIn('alice');
    const own = await http.get(`/requests/${requestId}`).set('cookie', alice.cookie).expect(200);
    expect(own.text).toContain('Break-glass');
    expect(own.text).toContain('none: issued through break-glass');
    expect(own.text).not.toContain('0 of 0');
    expect(own.text).not.toContain('Mark as reviewed');

    const bob = await signIn('bob');
    const page = await http.get(`/requests/${requestId}`).set('cookie', bob.cookie).expect(200);
    expect(page.text).toContain('review due');
    expect(page.text).toContain(`action="/requests/${requestId}/review"`);
    await http
      .post(`/requests/${requestId}/review`)
      .set('cookie', bob.cookie)
      .type('form')
      .send({ comment: 'checked' })
      .expect(403);
    await http
      .post(`/requests/${requestId}/review`)
      .set('cookie', bob.cookie)
      .type('form')
      .send({ csrf: field(page.text, 'csrf'), comment: 'checked' })
      .expect(303);
    const after = await http.get(`/requests/${requestId}`).set('cookie', bob.cookie).expect(200);
    expect(after.text).toContain('reviewed by');
    expect(after.text).not.toContain('Mark as reviewed');
  });

  it('sends /auth/login to the demo sign-in; no OpenID Connect callback without auth.web', async () => {
    const login = await http.get('/auth/login?returnTo=%2Fadmin').expect(303);
    expect(login.headers.location).toBe('/auth/demo?returnTo=%2Fadmin');
    await http.get('/auth/callback?code=x&state=y').expect(404);
  });

  it('answers GET /auth/logout with a page that signs out only by its POST form', async () => {
    const anonymous = await http.get('/auth/logout').expect(200);
    expect(anonymous.text).toContain('You are not signed in.');

    const carol = await signIn('carol');
    const confirm = await http.get('/auth/logout').set('cookie', carol.cookie).expect(200);
    expect(confirm.headers['cache-control']).toBe('no-store');
    expect(confirm.text).toContain('demo:carol');
    expect(confirm.text).toContain('<form method="post" action="/auth/logout">');
    // The GET changed nothing: the session still opens pages.
    await http.get('/requests').set('cookie', carol.cookie).expect(200);

    await http
      .post('/auth/logout')
      .set('cookie', carol.cookie)
      .type('form')
      .send({ csrf: field(confirm.text, 'csrf') })
      .expect(200);
    await http.get('/requests').set('cookie', carol.cookie).expect(303);
  });
});
