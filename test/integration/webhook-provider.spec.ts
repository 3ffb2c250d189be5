import { jest } from '@jest/globals';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '#access';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { DatabaseKind } from '../support/databases.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(30_000);

const SECRET = 'whsec-test-0123456789abcdef';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: Record<string, unknown>;
}

/** A webhook receiver that records every request and answers from a script (then `fallback`). */
class Receiver {
  private server?: Server;
  readonly received: Received[] = [];
  script: { status: number; body?: unknown }[] = [];
  fallback: { status: number; body?: unknown } = { status: 200, body: {} };
  port = 0;

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const payload = JSON.parse(body) as Record<string, unknown>;
        this.received.push({ headers: request.headers, body, payload });
        const answer = this.script.shift() ?? this.fallback;
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  of(grantId: string, event: string): Received[] {
    return this.received.filter((r) => r.payload.grantId === grantId && r.payload.event === event);
  }
}

describe.each<DatabaseKind>(DATABASE_KINDS)('the webhook provider on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  const receiver = new Receiver();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    await receiver.start();
    const yaml = testConfigYaml(
      issuer,
      `
    - name: hook
      resource: https://target.example.com
      actions: [target:use]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: webhook
        url: http://127.0.0.1:${receiver.port}/countersign
        secret: \${HOOK_SECRET}
        timeout: 2s
`,
    );
    broker = await startBroker({ kind, issuer, yaml, env: { HOOK_SECRET: SECRET } });
  });

  afterAll(async () => {
    await broker.close();
    await receiver.stop();
    await issuer.close();
  });

  beforeEach(() => {
    receiver.script = [];
    receiver.fallback = { status: 200, body: {} };
  });

  async function approved(duration = '10m') {
    const request = await createRequest(broker, 'alice', { role: 'hook', duration });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    return request;
  }

  async function redeem(requestId: string, status: number) {
    const alice = await as(broker, 'alice');
    return alice.post(`/v1/requests/${requestId}/credentials`).expect(status);
  }

  function expectSigned(received: Received, grantId: string, event: string) {
    const headers = {
      timestamp: received.headers['x-countersign-timestamp'] as string,
      signature: received.headers['x-countersign-signature'] as string,
    };
    expect(headers.signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(Math.abs(Number(headers.timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(verifyWebhookSignature(SECRET, headers, received.body)).toBe(true);
    expect(verifyWebhookSignature(`${SECRET}-wrong`, headers, received.body)).toBe(false);
    expect(verifyWebhookSignature(SECRET, headers, `${received.body} `)).toBe(false);
    expect(received.headers['idempotency-key']).toBe(`${grantId}:${event}`);
    expect(received.headers['content-type']).toBe('application/json');
  }

  it('grants with a signed POST and hands out what the receiver returned', async () => {
    receiver.script = [{ status: 200, body: { credential: { apiKey: 'k-123', ttl: '600' } } }];
    const request = await approved();
    const minted = (await redeem(request.id, 201)).body as {
      grantId: string;
      expiresAt: string;
      credential: Record<string, string>;
    };
    expect(minted.credential).toEqual({ type: 'webhook', apiKey: 'k-123', ttl: '600' });

    const [grant] = receiver.of(minted.grantId, 'grant');
    expectSigned(grant, minted.grantId, 'grant');
    expect(grant.payload).toEqual({
      event: 'grant',
      grantId: minted.grantId,
      requestId: request.id,
      recipient: 'corp:alice',
      role: 'hook',
      resource: 'https://target.example.com',
      actions: ['target:use'],
      approvers: ['corp:bob'],
      issuedAt: expect.any(String),
      expiresAt: minted.expiresAt,
    });
    // What the receiver returned is the recipient's alone: not in the audit log.
    const events = await auditTrail(broker, { requestId: request.id });
    expect(JSON.stringify(events)).not.toContain('k-123');

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${minted.grantId}/revoke`, { reason: 'done' })
      .expect(200);
    const [revoke] = receiver.of(minted.grantId, 'revoke');
    expectSigned(revoke, minted.grantId, 'revoke');
    expect(revoke.payload).toEqual({ ...grant.payload, event: 'revoke' });
  });

  it('retries a grant the receiver answered 500, with the same idempotency key', async () => {
    receiver.script = [{ status: 500 }, { status: 503 }, { status: 200, body: {} }];
    const request = await approved();
    const minted = (await redeem(request.id, 201)).body as {
      grantId: string;
      credential: object;
    };
    expect(minted.credential).toEqual({ type: 'webhook' });
    const attempts = receiver.of(minted.grantId, 'grant');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['idempotency-key']))).toEqual(
      new Set([`${minted.grantId}:grant`]),
    );
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    for (const attempt of attempts) expectSigned(attempt, minted.grantId, 'grant');
  });

  it.each([
    ['keeps answering 500', { status: 500 }, 3],
    ['refuses with 403 (not retried)', { status: 403 }, 1],
    [
      'answers a credential that sets its own type',
      { status: 200, body: { credential: { type: 'jwt' } } },
      1,
    ],
    [
      'answers a credential with a non-string field',
      { status: 200, body: { credential: { n: 1 } } },
      1,
    ],
  ])(
    'refuses 503 when the receiver %s, keeps the request approved, withdraws, and grants on retry',
    async (_, answer, attempts) => {
      receiver.fallback = answer;
      const request = await approved();
      const before = receiver.received.length;
      const refused = await redeem(request.id, 503);
      expect(refused.body).toMatchObject({ error: 'unavailable', reason: 'provider_unavailable' });
      const grants = receiver.received.slice(before).filter((r) => r.payload.event === 'grant');
      expect(grants).toHaveLength(attempts);
      const grantId = grants[0].payload.grantId as string;
      // Whatever the receiver may have opened for that grant is withdrawn.
      await eventually(() => (receiver.of(grantId, 'revoke').length > 0 ? true : undefined), 3000);

      const alice = await as(broker, 'alice');
      expect((await alice.get(`/v1/requests/${request.id}`).expect(200)).body.status).toBe(
        'approved',
      );
      const refusals = await auditTrail(broker, {
        requestId: request.id,
        type: 'credential.refused',
      });
      expect(refusals.map((e) => e.data)).toEqual([
        expect.objectContaining({ reason: 'provider_unavailable', provider: 'webhook' }),
      ]);

      receiver.fallback = { status: 200, body: {} };
      const minted = (await redeem(request.id, 201)).body as { grantId: string };
      expect(minted.grantId).not.toBe(grantId);
    },
  );

  it('keeps a grant overdue while the receiver is down at expiry, and ends it once it is back', async () => {
    const request = await approved('2s');
    const minted = (await redeem(request.id, 201)).body as { grantId: string };
    await receiver.stop();
    try {
      const failed = await eventually(async () => {
        const events = await auditTrail(broker, { type: 'grant.revocation_failed' });
        const mine = events.filter((e) => e.grantId === minted.grantId);
        return mine.length > 0 ? mine : undefined;
      }, 8000);
      expect(failed[0].data).toMatchObject({
        failures: 1,
        error: 'webhook revoke: receiver unreachable (ECONNREFUSED)',
      });
      const dave = await as(broker, 'dave');
      const grant = (await dave.get(`/v1/grants/${minted.grantId}`).expect(200)).body;
      expect(grant).toMatchObject({ status: 'active', overdue: true });
    } finally {
      await receiver.start();
    }
    const dave = await as(broker, 'dave');
    const ended = await eventually(async () => {
      const grant = (await dave.get(`/v1/grants/${minted.grantId}`).expect(200)).body as {
        status: string;
      };
      return grant.status === 'active' ? undefined : grant;
    }, 10_000);
    expect(ended.status).toBe('expired');
    expect(receiver.of(minted.grantId, 'revoke')).toHaveLength(1);
    const endings = await auditTrail(broker, { type: 'grant.expired' });
    expect(endings.filter((e) => e.grantId === minted.grantId)).toHaveLength(1);
  });
});
