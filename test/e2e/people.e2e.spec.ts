import type { Response } from 'supertest';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { FakeSlack, signedClick } from '../support/fake-slack.js';
import { auditTrail, refusalsOf } from '../support/audit.js';
import { as, createRequest } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';

const SECRET = 'people-signing-secret';
const TEAM = 'T0001';
const TWO = { role: 'two-person', justification: 'release 42' };
const SOLO = { role: 'solo', justification: 'INC-11' };

// kate, ivan and judy hold admin reach through their tokens' `security` group only; neither is in the
// directory. ivan approves in Slack, judy on the web with ID tokens that carry no groups.
const extraYaml = (slackApi: string) => `    - name: solo
      resource: https://solo.example.com
      actions: [run]
      maxDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { principals: ["corp:ivan", "corp:judy", "corp:bob"] }
    - name: sa-two
      resource: https://sa.example.com
      actions: [run]
      maxDuration: 10m
      requesters: { principals: ["local:ci"] }
      approvers: { principals: ["corp:dave", "corp:kate", "corp:bob"] }
      approvalsRequired: 2
slack:
  signingSecret: \${SLACK_SIGNING_SECRET}
  botToken: xoxb-people
  channel: C0PEOPLE
  apiUrl: ${slackApi}
  users:
    "${TEAM}/U0IVAN": "corp:ivan"
`;

// carol's release bot may approve (policy.approverBots), but never beside carol.
const withReleaseBot = (yaml: string) =>
  yaml
    .replace(/^owners:\n/m, 'owners:\n  "corp:release-bot": "corp:carol"\n')
    .replace(/^policy:\n/m, 'policy:\n  approverBots: ["corp:release-bot"]\n');

const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no form token on the page');
  return match[1];
};

function expectRefused(res: Response, status: number, error: string, reason: string) {
  expect({ status: res.status, error: res.body.error, reason: res.body.reason }).toEqual({
    status,
    error,
    reason,
  });
}

/** Separation of duties counts people, on the API, Slack and web paths alike. */
describe.each(DATABASE_KINDS)('separation counts people on %s', (kind) => {
  let web: WebSetup;
  let slack: FakeSlack;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    web = await startWebBroker(kind, {
      extraYaml: extraYaml(slack.apiUrl),
      editYaml: withReleaseBot,
      env: { SLACK_SIGNING_SECRET: SECRET },
      idTokensWithoutGroups: ['judy'],
    });
  });

  afterAll(async () => {
    await web?.close();
    await slack?.close();
  });

  const broker = () => web.broker;
  const approve = async (user: string, id: string, groups?: string[]): Promise<Response> =>
    (await as(broker(), user, groups)).post(`/v1/requests/${id}/approve`);
  const approveOk = async (user: string, id: string, groups?: string[]) =>
    expect((await approve(user, id, groups)).status).toBe(200);
  const view = async (id: string) =>
    (await (await as(broker(), 'dave')).get(`/v1/requests/${id}`).expect(200)).body as {
      status: string;
      approvals: { approver: string }[];
    };
  const approvers = async (id: string) => (await view(id)).approvals.map((a) => a.approver);

  it('two aliases of one person never complete a two-person rule; a third person does', async () => {
    const request = await createRequest(broker(), 'alice', TWO);
    await approveOk('frank', request.id);
    const second = await approve('frank.alt', request.id, ['sre-leads']);
    expectRefused(second, 403, 'separation_of_duties', 'approver_linked');
    expect(second.body.message).toMatch(/earlier approver \(aliases of one person\)/);
    expect(second.body.message).not.toContain('corp:frank');
    expect(await view(request.id)).toMatchObject({ status: 'pending' });
    expect(await approvers(request.id)).toEqual(['corp:frank']);

    await approveOk('bob', request.id);
    const minted = await (
      await as(broker(), 'alice')
    )
      .post(`/v1/requests/${request.id}/credentials`)
      .expect(201);
    const claims = JSON.parse(
      Buffer.from((minted.body.credential.token as string).split('.')[1], 'base64url').toString(),
    ) as { approvers: string[] };
    expect(claims.approvers.sort()).toEqual(['corp:bob', 'corp:frank']);

    const { refused, denied } = await refusalsOf(broker(), {
      requestId: request.id,
      actor: 'corp:frank.alt',
    });
    expect(refused).toEqual([
      expect.objectContaining({
        type: 'approval.refused',
        code: 'separation_of_duties',
        reason: 'approver_linked',
      }),
    ]);
    expect(denied).toEqual([expect.objectContaining({ reason: 'approver_linked' })]);
  });

  it('a person and the bot she owns count once, in either order', async () => {
    const carolFirst = await createRequest(broker(), 'alice', TWO);
    await approveOk('carol', carolFirst.id);
    const bot = await approve('release-bot', carolFirst.id, ['sre-leads']);
    expectRefused(bot, 403, 'separation_of_duties', 'approver_linked');
    expect(bot.body.message).toMatch(/one owns the other/);

    const botFirst = await createRequest(broker(), 'alice', TWO);
    await approveOk('release-bot', botFirst.id, ['sre-leads']);
    const carol = await approve('carol', botFirst.id);
    expectRefused(carol, 403, 'separation_of_duties', 'approver_linked');
    for (const id of [carolFirst.id, botFirst.id]) {
      expect(await view(id)).toMatchObject({ status: 'pending' });
      expect(await approvers(id)).toHaveLength(1);
    }
  });

  it('two linked approvers approving at the same instant count once, 10 rounds out of 10', async () => {
    for (let round = 0; round < 10; round += 1) {
      const request = await createRequest(broker(), 'alice', TWO);
      const [first, second] = [
        await as(broker(), 'frank'),
        await as(broker(), 'frank.alt', ['sre-leads']),
      ];
      const answers = await Promise.all([
        first.post(`/v1/requests/${request.id}/approve`),
        second.post(`/v1/requests/${request.id}/approve`),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 403]);
      expect(answers.find((a) => a.status === 403)?.body.reason).toBe('approver_linked');
      expect(await view(request.id)).toMatchObject({ status: 'pending' });
      expect(await approvers(request.id)).toHaveLength(1);
    }
  });

  it('whoever holds a service account’s key is linked to it until someone else rotates it', async () => {
    const dave = await as(broker(), 'dave');
    const created = await dave
      .post('/v1/service-accounts', { name: 'ci', owner: 'corp:alice' })
      .expect(201);
    expect(created.body.keyHolder).toBe('corp:dave');
    const account = (key: string) => ({
      post: (path: string, body: object = {}) =>
        broker().http.post(path).set('authorization', `Bearer ${key}`).send(body),
    });
    const request = await account(created.body.key as string)
      .post('/v1/requests', { role: 'sa-two', justification: 'nightly' })
      .expect(201);
    const id = request.body.id as string;

    const byHolder = await approve('dave', id);
    expectRefused(byHolder, 403, 'separation_of_duties', 'approver_linked');
    expect(byHolder.body.message).toMatch(/holds the key/);
    await approveOk('kate', id, ['security']);
    await approveOk('bob', id);
    expect(await view(id)).toMatchObject({ status: 'approved' });

    // kate approved and now takes the key: the account may no longer redeem (checked at mint).
    const kate = await as(broker(), 'kate', ['security']);
    const rotatedByKate = await kate.post('/v1/service-accounts/ci/rotate').expect(200);
    expect(rotatedByKate.body.keyHolder).toBe('corp:kate');
    const refused = await account(rotatedByKate.body.key as string).post(
      `/v1/requests/${id}/credentials`,
    );
    expectRefused(refused, 403, 'separation_of_duties', 'approver_linked');

    // dave rotates it away from kate: no approver holds the key, so the credential is issued.
    const rotatedByDave = await dave.post('/v1/service-accounts/ci/rotate').expect(200);
    const minted = await account(rotatedByDave.body.key as string)
      .post(`/v1/requests/${id}/credentials`)
      .expect(201);
    expect(minted.body.grantId).toEqual(expect.any(String));
    const refusals = await refusalsOf(broker(), { requestId: id });
    expect(refusals.refused.map((r) => [r.type, r.reason])).toEqual([
      ['approval.refused', 'approver_linked'],
      ['credential.refused', 'approver_linked'],
    ]);
  });

  it('an admin never completes a 1-of-1 request alone through a signed Slack click', async () => {
    const click = (requestId: string) => {
      const signed = signedClick(SECRET, {
        team: TEAM,
        user: 'U0IVAN',
        action: 'approve',
        requestId,
      });
      return broker().http.post('/v1/slack/interactions').set(signed.headers).send(signed.body);
    };
    // ivan has never shown countersign a token: his admin reach cannot be known from a click.
    const unknown = await createRequest(broker(), 'alice', SOLO);
    const refused = await click(unknown.id).expect(200);
    expect(refused.body.text).toMatch(/admin_reach_unknown/);
    expect(refused.body.text).toContain(`${web.url}/requests/${unknown.id}`);
    expect(await view(unknown.id)).toMatchObject({ status: 'pending', approvals: [] });

    // Once his token showed `security`, a click is his admin approval: recorded, not enough.
    await (await as(broker(), 'ivan', ['security'])).get('/v1/roles').expect(200);
    const request = await createRequest(broker(), 'alice', SOLO);
    const recorded = await click(request.id).expect(200);
    expect(recorded.body.text).toMatch(/pending \(1 of 1/);
    expect(await view(request.id)).toMatchObject({ status: 'pending' });
    const [event] = await auditTrail(broker(), {
      requestId: request.id,
      type: 'approval.recorded',
    });
    expect(event).toMatchObject({ actor: 'corp:ivan', data: { adminReach: true } });
    await approveOk('bob', request.id);
    expect(await view(request.id)).toMatchObject({ status: 'approved' });

    const audited = await refusalsOf(broker(), { requestId: unknown.id, actor: 'corp:ivan' });
    expect(audited.refused).toEqual([
      expect.objectContaining({ type: 'approval.refused', reason: 'admin_reach_unknown' }),
    ]);
  });

  it('an admin never completes a 1-of-1 request alone on the web with an ID token without groups', async () => {
    const signedIn = await signInOverHttp(web.url, 'judy');
    const page = (id: string) =>
      broker().http.get(`/requests/${id}`).set('cookie', signedIn.cookie);
    const approveOnWeb = async (id: string) =>
      broker()
        .http.post(`/requests/${id}/approve`)
        .set('cookie', signedIn.cookie)
        .type('form')
        .send({ csrf: csrfOf((await page(id).expect(200)).text) });

    const unknown = await createRequest(broker(), 'alice', SOLO);
    const refused = await approveOnWeb(unknown.id);
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/cannot tell/);
    expect(await view(unknown.id)).toMatchObject({ status: 'pending', approvals: [] });

    await (await as(broker(), 'judy', ['security'])).get('/v1/roles').expect(200);
    const request = await createRequest(broker(), 'alice', SOLO);
    expect((await approveOnWeb(request.id)).status).toBe(303);
    expect(await view(request.id)).toMatchObject({ status: 'pending' });
    expect(await approvers(request.id)).toEqual(['corp:judy']);
  });

  it('the web page offers a linked approver Deny but not Approve, and the use case agrees', async () => {
    const request = await createRequest(broker(), 'alice', TWO);
    await approveOk('frank.alt', request.id, ['sre-leads']);
    const signedIn = await signInOverHttp(web.url, 'frank');
    const shown = await broker()
      .http.get(`/requests/${request.id}`)
      .set('cookie', signedIn.cookie)
      .expect(200);
    expect(shown.text).toContain('You cannot approve this request');
    expect(shown.text).toContain(`action="/requests/${request.id}/deny"`);
    expect(shown.text).not.toContain(`action="/requests/${request.id}/approve"`);
    const approveAnyway = await broker()
      .http.post(`/requests/${request.id}/approve`)
      .set('cookie', signedIn.cookie)
      .type('form')
      .send({ csrf: csrfOf(shown.text) });
    expect(approveAnyway.status).toBe(403);
    const denied = await broker()
      .http.post(`/requests/${request.id}/deny`)
      .set('cookie', signedIn.cookie)
      .type('form')
      .send({ csrf: csrfOf(shown.text), reason: 'not this release' });
    expect(denied.status).toBe(303);
    expect(await view(request.id)).toMatchObject({ status: 'denied' });
  });
});
