import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { EscalateBreakGlass, verifyWebhookSignature } from '#access';
import { FixedClock } from '#domain';
import { verifyEvidence } from '#evidence';
import { auditHead, auditTrail, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { as, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const WEBHOOK_SECRET = 'break-glass-webhook-secret-0123456789';

/** Records the security team's webhook deliveries, raw body and headers. */
class Receiver {
  readonly deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver.deliveries.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const yaml = (issuer: TestIssuer, slack: FakeSlack, receiver: Receiver) =>
  testConfigYaml(
    issuer,
    `    - name: emergency
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass:
        maxDuration: 10m
        reviewWithin: 1h
        escalateEvery: 15m
        notify:
          slack: true
          webhook: { url: ${receiver.url}, secret: ${WEBHOOK_SECRET} }
slack:
  signingSecret: slack-signing-secret
  botToken: xoxb-test
  channel: C0SECURITY
  apiUrl: ${slack.apiUrl}
`,
  );

const alertsIn = (slack: FakeSlack) =>
  slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && /Break-glass/.test(String(c.args.text)),
  );

describe.each(DATABASE_KINDS)('break-glass on %s', (kind) => {
  const clock = new FixedClock(new Date());
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let receiver: Receiver;
  let broker: TestBroker;
  let escalate: EscalateBreakGlass;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    receiver = await Receiver.start();
    broker = await startBroker({ kind, issuer, clock, yaml: yaml(issuer, slack, receiver) });
    escalate = broker.app.get(EscalateBreakGlass);
  });

  afterAll(async () => {
    await broker.close();
    await receiver.close();
    await slack.close();
    await issuer.close();
  });

  const activate = async (status: number, user = 'alice', body: object = {}) =>
    (await as(broker, user))
      .post('/v1/break-glass', {
        role: 'emergency',
        justification: 'INC-42: payments database down',
        duration: '5m',
        ...body,
      })
      .expect(status);

  it('issues at once, marks the activation everywhere and alerts the security team', async () => {
    const started = clock.now().getTime();
    const response = await activate(201);
    const body = response.body as {
      requestId: string;
      grantId: string;
      expiresAt: string;
      credential: { type: string; token: string };
      breakGlass: { reviewDueAt: string };
    };
    expect(body.credential.type).toBe('jwt');
    expect(body.expiresAt).toBe(new Date(started + 300_000).toISOString());
    expect(body.breakGlass.reviewDueAt).toBe(new Date(started + 3_600_000).toISOString());

    const alice = await as(broker, 'alice');
    const request = await alice.get(`/v1/requests/${body.requestId}`).expect(200);
    expect(request.body).toMatchObject({
      status: 'issued',
      breakGlass: true,
      approvals: [],
      approvalsRequired: 0,
      grantId: body.grantId,
      review: { dueAt: body.breakGlass.reviewDueAt, escalations: 0 },
    });
    const grant = await alice.get(`/v1/grants/${body.grantId}`).expect(200);
    expect(grant.body).toMatchObject({ status: 'active', breakGlass: true });
    const listed = await (await as(broker, 'dave')).get('/v1/grants?status=active').expect(200);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ id: body.grantId, breakGlass: true }),
    );
    const introspected = await alice
      .post('/v1/introspect', { token: body.credential.token })
      .expect(200);
    expect(introspected.body).toMatchObject({ active: true, sub: 'corp:alice' });

    const types = (await auditTrail(broker, { requestId: body.requestId })).map((e) => e.type);
    expect(types).toEqual(['policy.evaluated', 'break_glass.activated', 'credential.issued']);

    await eventually(() => (alertsIn(slack).length >= 1 ? true : undefined), 5000);
    expect(alertsIn(slack)[0].args.channel).toBe('C0SECURITY');
    const delivery = await eventually(() => receiver.deliveries[0], 5000);
    expect(
      verifyWebhookSignature(
        WEBHOOK_SECRET,
        {
          timestamp: delivery.headers['x-countersign-timestamp'] as string,
          signature: delivery.headers['x-countersign-signature'] as string,
        },
        delivery.body,
      ),
    ).toBe(true);
    expect(delivery.headers['idempotency-key']).toBe(`${body.requestId}:activated:0`);
    expect(JSON.parse(delivery.body)).toMatchObject({
      event: 'break_glass.activated',
      requestId: body.requestId,
      role: 'emergency',
      activatedBy: 'corp:alice',
      justification: 'INC-42: payments database down',
    });
    expect(delivery.body).not.toContain(body.credential.token);

    const evidence = await alice.get(`/v1/requests/${body.requestId}/evidence`).expect(200);
    const jwks = (await broker.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const report = await verifyEvidence(evidence.text, jwks);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(JSON.parse(evidence.text).bundle.request).toMatchObject({ breakGlass: true });
  });

  it('is refused past its maximum, without a justification, on other roles and to others', async () => {
    const mark = await auditHead(broker);
    const tooLong = await activate(400, 'alice', { duration: '11m' });
    expect(tooLong.body.fields).toEqual([
      { field: 'duration', message: "exceeds the role's break-glass maxDuration of 10m" },
    ]);
    const blank = await activate(400, 'alice', { justification: '   ' });
    expect(blank.body.fields).toEqual([
      { field: 'justification', message: 'is required for break-glass' },
    ]);
    const otherRole = await activate(403, 'alice', { role: 'prod-db-admin' });
    expect(otherRole.body).toMatchObject({ error: 'forbidden' });
    const outsider = await activate(403, 'mallory');
    expect(outsider.body).toMatchObject({ error: 'not_eligible' });
    const refusals = await refusalsOf(broker, { cursor: mark });
    expect(refusals.refused.map((r) => r.reason)).toEqual([
      'invalid_input',
      'invalid_input',
      'break_glass_not_allowed',
      'not_a_requester',
    ]);
  });

  it('escalates until a distinct, eligible principal reviews it; a self-review is refused', async () => {
    const { requestId } = (await activate(201)).body as { requestId: string };
    const alertsBefore = alertsIn(slack).length;

    const self = await (
      await as(broker, 'alice')
    )
      .post(`/v1/requests/${requestId}/review`, { comment: 'all good' })
      .expect(403);
    expect(self.body).toMatchObject({ error: 'separation_of_duties' });
    expect(
      (await auditTrail(broker, { requestId, type: 'review.refused' })).map((e) => e.data.code),
    ).toEqual(['separation_of_duties']);
    const outsider = await (
      await as(broker, 'mallory')
    )
      .post(`/v1/requests/${requestId}/review`)
      .expect(404);
    expect(outsider.body).toMatchObject({ error: 'not_found' });

    expect(await escalate.sweep()).toBe(0);
    clock.advance(3600 + 1);
    // Both activations of this file are overdue now: each escalates once.
    expect(await escalate.sweep()).toBe(2);
    expect(await escalate.sweep()).toBe(0);
    clock.advance(15 * 60 + 1);
    expect(await escalate.sweep()).toBe(2);

    const escalations = await auditTrail(broker, { requestId, type: 'break_glass.escalated' });
    expect(escalations.map((e) => e.data.escalations)).toEqual([1, 2]);
    await eventually(() => (alertsIn(slack).length >= alertsBefore + 4 ? true : undefined), 5000);
    await eventually(
      () =>
        receiver.deliveries.some((d) => d.headers['idempotency-key'] === `${requestId}:escalated:2`)
          ? true
          : undefined,
      5000,
    );
    const metrics = await broker.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /countersign_break_glass_total\{role="emergency",event="escalated"\} 4/,
    );

    const reviewed = await (
      await as(broker, 'bob')
    )
      .post(`/v1/requests/${requestId}/review`, { comment: 'checked the session log' })
      .expect(200);
    expect(reviewed.body).toMatchObject({
      breakGlass: true,
      review: { reviewedBy: 'corp:bob', escalations: 2, comment: 'checked the session log' },
    });
    const again = await (
      await as(broker, 'erin')
    )
      .post(`/v1/requests/${requestId}/review`)
      .expect(409);
    expect(again.body).toMatchObject({ error: 'invalid_state' });
    const done = await auditTrail(broker, { requestId, type: 'break_glass.reviewed' });
    expect(done.map((e) => e.data)).toEqual([
      expect.objectContaining({ late: true, escalations: 2 }),
    ]);

    // Reviewed: only the other activation escalates from now on.
    clock.advance(15 * 60 + 1);
    expect(await escalate.sweep()).toBe(1);
    expect(await auditTrail(broker, { requestId, type: 'break_glass.escalated' })).toHaveLength(2);
  });

  it('an admin who is not an approver of the role may review', async () => {
    const { requestId } = (await activate(201)).body as { requestId: string };
    await (await as(broker, 'dave')).post(`/v1/requests/${requestId}/review`).expect(200);
  });
});
