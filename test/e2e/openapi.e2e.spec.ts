// GET /openapi.json: the document describes every route the running broker maps (bar the ones
// excluded in document.ts, each with why), and nothing it does not map, and it validates as
// OpenAPI 3.1 with an independent validator.

import type { INestApplication } from '@nestjs/common';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { z } from 'zod';
import { demoConfigYaml, parseConfig } from '#config';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import {
  UNDESCRIBED_EXACT,
  UNDESCRIBED_ROUTES,
} from '../../apps/broker/src/api/openapi/document.js';
import {
  breakGlassActivation,
  grantView,
  introspection,
  mintAnswer,
  page,
  requestView,
  roleView,
  serviceAccountView,
  serviceAccountWithKey,
} from '../../apps/broker/src/api/openapi/responses.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { as } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

/** Slack on too, so that its route is mapped and has to be excluded by name. */
const SLACK = `
slack:
  signingSecret: ${'s'.repeat(32)}
  botToken: xoxb-openapi-test
  channel: C0123456
  apiUrl: http://127.0.0.1:9/api/
`;

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `GET /v1/requests/{id}` for each route express holds, read from the app's own router. */
function mappedRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((method) => layer.route?.methods[method])
          .map((method) => `${method.toUpperCase()} ${openApiPath(layer.route?.path ?? '')}`)
      : [],
  );
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function excluded(route: string): boolean {
  const path = route.split(' ')[1];
  return (
    UNDESCRIBED_EXACT.includes(path) ||
    UNDESCRIBED_ROUTES.some(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`))
  );
}

type Operations = Record<string, Record<string, unknown>>;

describe('GET /openapi.json', () => {
  let database: FreshDatabase;
  let app: INestApplication;
  let document: { openapi: string; paths: Operations; tags: { name: string }[] };

  beforeAll(async () => {
    database = await freshDatabase('sqlite');
    const config = parseConfig(
      demoConfigYaml() + SLACK,
      { DATABASE_URL: database.url },
      { demo: true },
    );
    app = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
    await app.init();
    const response = await request(app.getHttpServer()).get('/openapi.json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('public, max-age=3600');
    document = response.body as typeof document;
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('is served without a credential and validates as OpenAPI 3.1', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    expect(await validator.validate(document)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });

  it('describes every route the broker maps, and none it does not', () => {
    const mapped = mappedRoutes(app);
    // The router read is real: the web pages and Slack are there, to be excluded by name.
    expect(mapped).toEqual(
      expect.arrayContaining(['GET /v1/requests', 'POST /v1/slack/interactions', 'GET /admin']),
    );
    const described = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...new Set(described)].sort()).toEqual(
      [...new Set(mapped.filter((route) => !excluded(route)))].sort(),
    );
    // Each exclusion still excludes something: a stale entry would hide a future route.
    for (const { prefix } of UNDESCRIBED_ROUTES) {
      expect(mapped.some((route) => route.split(' ')[1].startsWith(prefix))).toBe(true);
    }
  });

  it('states bodies and queries as the routes validate them, and the error body', () => {
    const create = document.paths['/v1/requests'].post as {
      requestBody: { required: boolean; content: Record<string, { schema: unknown }> };
      responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
    };
    expect(create.requestBody.required).toBe(true);
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['role'],
      additionalProperties: false,
      properties: {
        role: { type: 'string', minLength: 1, maxLength: 64 },
        justification: { type: 'string', minLength: 1, maxLength: 2000 },
      },
    });
    expect(Object.keys(create.responses).sort()).toEqual(
      ['201', '400', '401', '403', '413', '415', '429', '503'].sort(),
    );
    expect(create.responses['400'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(create.responses['201'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Request',
    });
    const cancel = document.paths['/v1/requests/{id}/cancel'].post as {
      requestBody: { required: boolean };
    };
    expect(cancel.requestBody.required).toBe(false);
    const list = document.paths['/v1/grants'].get as { parameters: { name: string }[] };
    expect(list.parameters.map((parameter) => parameter.name).sort()).toEqual(
      ['cursor', 'limit', 'overdue', 'status'].sort(),
    );
    const jwks = document.paths['/.well-known/jwks.json'].get as { security: unknown[] };
    expect(jwks.security).toEqual([]);
    // Every operation is in a group the document declares and explains.
    const declared = document.tags.map((tag) => tag.name);
    const used = Object.values(document.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) => (operation as { tags: string[] }).tags),
    );
    expect([...new Set(used)].sort()).toEqual([...declared].sort());
  });

  it('asks a credential of exactly the routes the broker authenticates', async () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method,
        path,
        open: ((operation as { security?: unknown[] }).security ?? ['bearer']).length === 0,
      })),
    );
    expect(operations.filter((operation) => operation.open).length).toBeGreaterThan(0);
    for (const { method, path, open } of operations) {
      const url = path
        .replace('{id}', '00000000-0000-4000-8000-000000000000')
        .replace('{name}', 'x-bot');
      const answer = await (method === 'post'
        ? request(app.getHttpServer()).post(url)
        : request(app.getHttpServer()).get(url));
      // Without a credential: 401 where the document asks for one, anything else where it does not.
      expect([`${method.toUpperCase()} ${path}`, answer.status === 401]).toEqual([
        `${method.toUpperCase()} ${path}`,
        !open,
      ]);
    }
  });
});

const EMERGENCY_ROLE = `
    - name: emergency
      resource: https://ops.example.com
      actions: [ops:all]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass: { maxDuration: 10m, reviewWithin: 1h, notify: { slack: false } }
`;

/**
 * Parses a real answer with the schema the document shows for it, and requires every field the
 * answer has to be described: an undescribed field fails here as a missing one fails the parse.
 */
function described(schema: z.ZodObject | z.ZodUnion, body: unknown): void {
  const result = schema.safeParse(body);
  expect(result.error?.issues ?? []).toEqual([]);
  const shapes = schema instanceof z.ZodUnion ? (schema.options as z.ZodObject[]) : [schema];
  const known = new Set(shapes.flatMap((shape) => Object.keys(shape.shape)));
  expect(Object.keys(body as object).filter((key) => !known.has(key))).toEqual([]);
}

describe.each(DATABASE_KINDS)('the answers the document shows, against real ones on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, EMERGENCY_ROLE) });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  it('describes requests, decisions, credentials, grants, introspection and roles', async () => {
    const [alice, bob, dave] = await Promise.all(
      ['alice', 'bob', 'dave'].map((u) => as(broker, u)),
    );
    const created = await alice.post('/v1/requests', {
      role: 'prod-db-admin',
      justification: 'INC-1',
    });
    described(requestView, created.body);
    const id = created.body.id as string;
    const approved = await bob.post(`/v1/requests/${id}/approve`, { comment: 'ok' }).expect(200);
    described(requestView, approved.body);
    described(requestView.shape.approvals.element, approved.body.approvals[0]);
    described(page(requestView, 'RequestPage'), (await alice.get('/v1/requests').expect(200)).body);
    const minted = await alice.post(`/v1/requests/${id}/credentials`).expect(201);
    described(mintAnswer, minted.body);
    const grantId = minted.body.grantId as string;
    described(grantView, (await alice.get(`/v1/grants/${grantId}`).expect(200)).body);
    described(page(grantView, 'GrantPage'), (await alice.get('/v1/grants').expect(200)).body);
    const token = minted.body.credential.token as string;
    described(introspection, (await alice.post('/v1/introspect', { token }).expect(200)).body);
    const revoked = await alice.post(`/v1/grants/${grantId}/revoke`, { reason: 'done' });
    described(grantView, revoked.body);
    described(introspection, (await alice.post('/v1/introspect', { token }).expect(200)).body);
    const roles = (await dave.get('/v1/roles').expect(200)).body as { items: unknown[] };
    for (const role of roles.items) described(roleView, role);
  });

  it('describes break-glass and service accounts', async () => {
    const [alice, bob, dave] = await Promise.all(
      ['alice', 'bob', 'dave'].map((u) => as(broker, u)),
    );
    const activation = await alice
      .post('/v1/break-glass', { role: 'emergency', justification: 'INC-2' })
      .expect(201);
    described(breakGlassActivation, activation.body);
    const requestId = activation.body.requestId as string;
    const reviewed = await bob.post(`/v1/requests/${requestId}/review`, { comment: 'seen' });
    described(requestView, reviewed.body);
    described(requestView.shape.review.unwrap(), reviewed.body.review);
    const account = { name: 'ci-bot', owner: 'corp:alice', groups: ['ci'], keyExpiresIn: '1d' };
    const created = await dave.post('/v1/service-accounts', account).expect(201);
    described(serviceAccountWithKey, created.body);
    described(serviceAccountView, (await dave.get('/v1/service-accounts/ci-bot').expect(200)).body);
    const list = await dave.get('/v1/service-accounts').expect(200);
    described(page(serviceAccountView, 'ServiceAccountPage'), list.body);
    described(serviceAccountView, (await dave.post('/v1/service-accounts/ci-bot/disable')).body);
  });
});
