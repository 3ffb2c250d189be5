import type { DataSource } from 'typeorm';
import { ApprovalSignatures, DATA_SOURCE, DecideRequest } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { ApprovalRow, PasskeyRow } from '#persistence';
import { refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { FakeSlack, signedClick } from '../support/fake-slack.js';
import { as, createRequest } from '../support/flow.js';
import type { TestSession } from '../support/passkeys.js';
import { registerPasskey, sessionOf, signApproval } from '../support/passkeys.js';
import type { SoftAuthenticator } from '../support/soft-authenticator.js';
import { TestIssuer } from '../support/test-issuer.js';

const SECRET = 'test-signing-secret';
const TEAM = 'T0001';

// `signed` requires the approver's passkey; `quick` (from the test config) does not.
const extraYaml = (slackApi: string) => `
    - name: signed
      resource: https://vault.example.com
      actions: [unseal]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvals: { signature: passkey }
slack:
  signingSecret: \${SLACK_SIGNING_SECRET}
  botToken: xoxb-test
  channel: C0123456
  apiUrl: ${slackApi}
  users:
    "${TEAM}/U0ERIN": "corp:erin"
`;

const sreLead = (name: string): AuthenticatedPrincipal => ({
  id: `corp:${name}`,
  groups: ['sre-leads'],
  tokenGroups: ['sre-leads'],
  tokenGroupsKnown: true,
});

/**
 * Passkey-signed approvals through the use case and the API (docs/identity.md, "Signed
 * approvals"): a role that requires them refuses an API or Slack approval with
 * `signature_required`, takes a valid assertion from the approver's own passkey, and refuses a
 * forged, replayed, borrowed or rewound one, each refusal audited. The web ceremony is
 * signed-approvals-web.e2e and -browser.e2e; the evidence, evidence-signed.e2e.
 */
describe.each(DATABASE_KINDS)('signed approvals on %s', (kind) => {
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let broker: TestBroker;
  let bob: { session: TestSession; authenticator: SoftAuthenticator };

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    broker = await startBroker({
      kind,
      issuer,
      yaml: testConfigYaml(issuer, extraYaml(slack.apiUrl)),
      env: { SLACK_SIGNING_SECRET: SECRET },
    });
    const session = sessionOf(sreLead('bob'));
    const { authenticator } = await registerPasskey(broker.app, broker.config, session);
    bob = { session, authenticator };
    // erin clicks in Slack: her admin reach is known once she has shown a token.
    await (await as(broker, 'erin')).get('/v1/roles').expect(200);
  });

  afterAll(async () => {
    await broker?.close();
    await slack?.close();
    await issuer?.close();
  });

  const decide = () => broker.app.get(DecideRequest);
  const dataSource = () => broker.app.get<DataSource>(DATA_SOURCE);
  const signedRequest = () =>
    createRequest(broker, 'alice', { role: 'signed', justification: 'rotate the unseal keys' });

  async function refusedReasons(requestId: string): Promise<unknown[]> {
    const { refused } = await refusalsOf(broker, { requestId });
    return refused.filter((event) => event.type === 'approval.refused').map((e) => e.reason);
  }

  it('refuses an API approval with 403 signature_required and a link to the web page; a denial needs none', async () => {
    const request = await signedRequest();
    const approve = await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`);
    expect(approve.status).toBe(403);
    expect(approve.body.error).toBe('signature_required');
    expect(approve.body.message).toContain(`http://127.0.0.1:3999/requests/${request.id}`);
    expect(await refusedReasons(request.id)).toEqual(['signature_required']);

    const deny = await (
      await as(broker, 'bob')
    )
      .post(`/v1/requests/${request.id}/deny`, { reason: 'not now' })
      .expect(200);
    expect(deny.body.status).toBe('denied');
  });

  it('refuses a Slack click on such a role, telling the clicker where to approve', async () => {
    const request = await signedRequest();
    const click = signedClick(SECRET, {
      team: TEAM,
      user: 'U0ERIN',
      action: 'approve',
      requestId: request.id,
    });
    const answer = await broker.http
      .post('/v1/slack/interactions')
      .set(click.headers)
      .send(click.body)
      .expect(200);
    expect(answer.body.text).toContain('Refused (signature_required)');
    expect(answer.body.text).toContain(`http://127.0.0.1:3999/requests/${request.id}`);
    expect(await refusedReasons(request.id)).toEqual(['signature_required']);
  });

  it("records an approval signed by the approver's passkey, keeps the assertion, and the grant is issued", async () => {
    const request = await signedRequest();
    const signed = await signApproval(
      broker.app,
      broker.config,
      bob.session,
      request.id,
      bob.authenticator,
    );
    const view = await decide().approve(sreLead('bob'), request.id, undefined, signed);
    expect(view.status).toBe('approved');

    const approval = await dataSource().manager.findOneByOrFail(ApprovalRow, {
      requestId: request.id,
    });
    expect(approval.signature).toEqual(
      expect.objectContaining({
        kind: 'passkey',
        credentialId: bob.authenticator.credentialId,
        authenticatorData: signed.response.response.authenticatorData,
        signature: signed.response.response.signature,
        origin: 'http://127.0.0.1:3999',
        rpId: '127.0.0.1',
      }),
    );
    const passkey = await dataSource().manager.findOneByOrFail(PasskeyRow, {
      credentialId: bob.authenticator.credentialId,
    });
    expect(passkey.signCount).toBe(bob.authenticator.signCount);
    expect(passkey.lastUsedAt).not.toBeNull();

    const minted = await (await as(broker, 'alice')).post(`/v1/requests/${request.id}/credentials`);
    expect(minted.status).toBe(201);
  });

  it('refuses a forged assertion, and the nonce it used up serves no second try', async () => {
    const request = await signedRequest();
    const options = await broker.app.get(ApprovalSignatures).options(bob.session, request.id);
    const rp = { id: '127.0.0.1', origin: 'http://127.0.0.1:3999' };
    const assertion = (clientData?: Record<string, unknown>) => ({
      sessionId: bob.session.id,
      response: bob.authenticator.assert(options.challenge, rp.id, rp.origin, { clientData }),
    });
    const forged = assertion({ origin: 'https://evil.example.com' });
    const genuine = assertion();
    await expect(decide().approve(sreLead('bob'), request.id, undefined, forged)).rejects.toThrow(
      /origin/i,
    );
    await expect(decide().approve(sreLead('bob'), request.id, undefined, genuine)).rejects.toThrow(
      'no signing under way for this request',
    );
    expect(await refusedReasons(request.id)).toEqual(['signature_invalid', 'signature_invalid']);
    // Asked again, a fresh nonce: approved.
    const again = await signApproval(
      broker.app,
      broker.config,
      bob.session,
      request.id,
      bob.authenticator,
    );
    const view = await decide().approve(sreLead('bob'), request.id, undefined, again);
    expect(view.status).toBe('approved');
  });

  it("refuses an assertion for other terms, another person's passkey and a counter that went back", async () => {
    const first = await signedRequest();
    const second = await signedRequest();
    // Signed for the first request, posted for the second (whose own nonce it does not answer).
    const forFirst = await signApproval(
      broker.app,
      broker.config,
      bob.session,
      first.id,
      bob.authenticator,
    );
    await signApproval(broker.app, broker.config, bob.session, second.id, bob.authenticator);
    await expect(decide().approve(sreLead('bob'), second.id, undefined, forFirst)).rejects.toThrow(
      /challenge/i,
    );

    // erin, who has a passkey of her own, signs with bob's authenticator: not one of hers.
    const erin = sessionOf(sreLead('erin'));
    await registerPasskey(broker.app, broker.config, erin);
    const borrowed = await signApproval(
      broker.app,
      broker.config,
      erin,
      second.id,
      bob.authenticator,
    );
    await expect(decide().approve(sreLead('erin'), second.id, undefined, borrowed)).rejects.toThrow(
      'the passkey is not one of yours in use',
    );

    // A cloned authenticator gives itself away: its counter is behind the one last seen.
    const rewound = await signApproval(
      broker.app,
      broker.config,
      bob.session,
      second.id,
      bob.authenticator,
      {
        signCount: 1,
      },
    );
    await expect(decide().approve(sreLead('bob'), second.id, undefined, rewound)).rejects.toThrow(
      /counter/i,
    );
    expect(await refusedReasons(second.id)).toEqual([
      'signature_invalid',
      'signature_invalid',
      'signature_invalid',
    ]);
    const { refused } = await refusalsOf(broker, { requestId: second.id });
    expect(refused.every((event) => event.code === 'forbidden')).toBe(true);
  });

  it('takes a signature on a role that does not require one, and keeps it', async () => {
    const request = await createRequest(broker, 'alice', { role: 'quick' });
    const signed = await signApproval(
      broker.app,
      broker.config,
      bob.session,
      request.id,
      bob.authenticator,
    );
    await decide().approve(sreLead('bob'), request.id, undefined, signed);
    const approval = await dataSource().manager.findOneByOrFail(ApprovalRow, {
      requestId: request.id,
    });
    expect(approval.signature?.kind).toBe('passkey');
  });

  it('asks an approver without a passkey to register one', async () => {
    const request = await signedRequest();
    const frank = sessionOf(sreLead('frank'));
    await expect(
      signApproval(broker.app, broker.config, frank, request.id, bob.authenticator),
    ).rejects.toThrow('http://127.0.0.1:3999/me/passkeys');
    expect(await refusedReasons(request.id)).toEqual(['no_passkey']);
  });
});
