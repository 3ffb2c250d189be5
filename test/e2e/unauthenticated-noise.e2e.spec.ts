import { jest } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { WebSessions } from '../../apps/broker/src/web/web-sessions.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { expectError } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

const BUDGET = 4;
const SLACK_SECRET = 'noise-test-slack-signing-secret';
const yaml = (issuer: TestIssuer) =>
  testConfigYaml(
    issuer,
    `slack:
  signingSecret: ${SLACK_SECRET}
  botToken: xoxb-never-used
  channel: C0NOISE
  apiUrl: http://127.0.0.1:9/
`,
  ).replace('  perMinute: 0\n', `  perMinute: 0\n  unauthenticatedPerMinute: ${BUDGET}\n`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A GET from another client address (127.0.0.2 reaches the broker's 127.0.0.1 over loopback). */
function getFrom(localAddress: string, port: number, path: string, token: string) {
  return new Promise<number>((resolve, reject) => {
    const call = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress,
        headers: { authorization: `Bearer ${token}` },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    call.on('error', reject);
    call.end();
  });
}

function slackClick(secret = SLACK_SECRET) {
  const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, timestamp, signature };
}

describe.each(DATABASE_KINDS)('unauthenticated traffic on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let port: number;
  let logged: string[];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  beforeEach(async () => {
    // A broker each, for a budget of its own (its own Redis key prefix on PostgreSQL runs).
    port = await freePort();
    broker = await startBroker({
      kind,
      issuer,
      yaml: yaml(issuer),
      listen: true,
      env: { PORT: String(port) },
    });
    logged = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await broker.close();
  });

  afterAll(async () => {
    await issuer.close();
  });

  const bearer = (token: string) =>
    broker.http.get('/v1/requests').set('authorization', `Bearer ${token}`);
  const counted = async () => {
    const text = (await broker.http.get('/metrics').expect(200)).text;
    const counts: Record<string, number> = {};
    for (const [, reason, value] of text.matchAll(
      /^countersign_unauthenticated_total\{reason="([a-z_]+)"\} (\d+)$/gm,
    )) {
      counts[reason] = Number(value);
    }
    return counts;
  };

  it('refuses an address over its budget with 429 and Retry-After, a valid token too; other addresses and public routes go on', async () => {
    const valid = await broker.token('alice');
    await bearer(valid).expect(200);
    const secrets = ['not-a-jwt', 'a.b.c', 'cs_sa_0123456789abcdefghijklmnopqrstuv'];
    for (const secret of secrets) expectError(await bearer(secret), 401, 'unauthenticated');
    expectError(await broker.http.get('/v1/requests'), 401, 'unauthenticated');

    for (const token of ['not-a-jwt', valid]) {
      const limited = await bearer(token);
      expectError(limited, 429, 'rate_limited');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter >= 1 && retryAfter <= 60).toBe(true);
    }
    // The budget is the address's: another client with the valid token is served.
    expect(await getFrom('127.0.0.2', port, '/v1/requests', valid)).toBe(200);
    await broker.http.get('/health/live').expect(200);
    await broker.http.get('/.well-known/jwks.json').expect(200);

    expect(await counted()).toEqual({
      invalid_token: 2,
      invalid_api_key: 1,
      missing_token: 1,
      rate_limited: 2,
    });
    // One line per failure, with the reason and the address, and none of what was presented.
    const failures = logged.filter((line) => line.startsWith('authentication failed'));
    expect(failures.map((line) => line.replace(/from \S+$/, 'from <address>'))).toEqual([
      'authentication failed (invalid_token) from <address>',
      'authentication failed (invalid_token) from <address>',
      'authentication failed (invalid_api_key) from <address>',
      'authentication failed (missing_token) from <address>',
    ]);
    expect(failures[0]).toMatch(/from (::ffff:)?127\.0\.0\.1$/);
    for (const line of logged) {
      for (const secret of [...secrets, valid]) expect(line).not.toContain(secret);
    }
  });

  it('counts bad Slack signatures, signed-out posts and CSRF failures against the same budget', async () => {
    const bob = {
      id: 'corp:bob',
      groups: ['sre-leads'],
      tokenGroups: ['sre-leads'],
      tokenGroupsKnown: true,
    };
    const session = await broker.app.get(WebSessions).create(bob);
    const cookie = `cs_session=${session.id}`;
    const approve = `/requests/${randomUUID()}/approve`;

    const forged = slackClick('not-the-secret');
    const badSlack = await broker.http
      .post('/v1/slack/interactions')
      .type('form')
      .set('x-slack-request-timestamp', forged.timestamp)
      .set('x-slack-signature', forged.signature)
      .send(forged.body);
    expectError(badSlack, 401, 'unauthenticated');
    expect((await broker.http.post(approve).type('form').send({ csrf: 'x' })).status).toBe(401);
    const badCsrf = await broker.http
      .post(approve)
      .set('cookie', cookie)
      .type('form')
      .send({ csrf: 'forged' });
    expect(badCsrf.status).toBe(403);
    expect(badCsrf.text).toContain('csrf_token_invalid');
    expectError(await bearer('a.b.c'), 401, 'unauthenticated');

    // Over budget: refused on every route that authenticates, before looking at what was sent.
    const signed = slackClick();
    const slack = await broker.http
      .post('/v1/slack/interactions')
      .type('form')
      .set('x-slack-request-timestamp', signed.timestamp)
      .set('x-slack-signature', signed.signature)
      .send(signed.body);
    expectError(slack, 429, 'rate_limited');
    const page = await broker.http.get('/requests').set('cookie', cookie);
    expect(page.status).toBe(429);
    expect(Number(page.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expectError(await bearer(await broker.token('alice')), 429, 'rate_limited');

    expect(await counted()).toEqual({
      invalid_slack_signature: 1,
      session_missing: 1,
      csrf_invalid: 1,
      invalid_token: 1,
      rate_limited: 3,
    });
    for (const line of logged) {
      expect(line).not.toContain(session.id);
      expect(line).not.toContain(forged.signature);
    }
  });
});
