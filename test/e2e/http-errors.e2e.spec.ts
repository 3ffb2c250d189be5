// Refusals a person can act on: each failing field named with what is wrong in words, and a body
// that is not JSON refused as such (415) rather than read as no body at all. The web forms and
// Slack's form-encoded endpoint keep their own types: web.e2e and slack.e2e cover them working;
// here, that the 415 does not reach them.

import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { as, createRequest } from '../support/flow.js';
import { expectError } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

describe('error bodies in words, and 415 for a body that is not JSON', () => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let auth: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind: 'sqlite', issuer });
    auth = `Bearer ${await broker.token('alice')}`;
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  const post = (path: string, contentType: string, body: string) =>
    broker.http.post(path).set('authorization', auth).set('content-type', contentType).send(body);
  const json = JSON.stringify({ role: 'prod-db-admin', justification: 'INC-1' });

  it.each([
    ['text/plain', json],
    ['application/x-www-form-urlencoded', 'role=prod-db-admin&justification=INC-1'],
    ['application/octet-stream', json],
    ['application/merge-patch+json', json],
  ])('refuses a body sent as %s with 415, saying what to send', async (type, body) => {
    const refused = await post('/v1/requests', type, body);
    expectError(refused, 415, 'unsupported_media_type');
    expect(refused.body.message).toBe(
      'the body must be JSON, sent with Content-Type: application/json',
    );
  });

  it('refuses a JSON body in a charset it cannot read with 415', async () => {
    const refused = await post('/v1/requests', 'application/json; charset=latin1', json);
    expectError(refused, 415, 'unsupported_media_type');
    expect(refused.body.message).toContain('UTF-8');
  });

  it('takes JSON with or without a charset, and a POST with no body at all', async () => {
    await post('/v1/requests', 'application/json', json).expect(201);
    const created = await post('/v1/requests', 'application/json; charset=utf-8', json).expect(201);
    // A bare POST (curl -X POST): no body, no type, nothing to refuse.
    await broker.http
      .post(`/v1/requests/${created.body.id as string}/cancel`)
      .set('authorization', auth)
      .expect(200);
  });

  it('leaves the web forms and the Slack path to their own parsers', async () => {
    // Without Slack configured its route does not exist: 404, not 415.
    const slack = await broker.http
      .post('/v1/slack/interactions')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('payload=%7B%7D');
    expect(slack.status).toBe(404);
    // A web form posts url-encoded; refused for its missing session, not for its type.
    const id = (await createRequest(broker, 'alice')).id;
    const form = await broker.http
      .post(`/requests/${id}/approve`)
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('csrf=x');
    expect(form.status).not.toBe(415);
  });

  it('names each failing field with what is wrong', async () => {
    const alice = await as(broker, 'alice');
    const refused = await alice.post('/v1/requests', {
      role: 'prod-db-admin',
      justification: 'x'.repeat(2001),
      recipient: 'nobody',
      bogus: true,
    });
    expectError(refused, 400, 'invalid_request');
    expect(refused.body).toEqual({
      error: 'invalid_request',
      message:
        'justification: must be at most 2000 characters; recipient: must look like <issuer>:<sub>; bogus: is not a known field',
      fields: [
        { field: 'justification', message: 'must be at most 2000 characters' },
        { field: 'recipient', message: 'must look like <issuer>:<sub>' },
        { field: 'bogus', message: 'is not a known field' },
      ],
    });
    const tooLong = await alice.post('/v1/requests', {
      role: 'prod-db-admin',
      justification: 'x',
      duration: '2h',
    });
    expect(tooLong.body.fields).toEqual([
      { field: 'duration', message: "exceeds the role's maxDuration of 1h" },
    ]);
    const query = await alice.get('/v1/requests?status=open&limit=0');
    expect(query.body.fields).toEqual([
      {
        field: 'status',
        message: 'must be one of: pending, approved, denied, cancelled, expired, issued',
      },
      { field: 'limit', message: 'must be at least 1' },
    ]);
  });
});
