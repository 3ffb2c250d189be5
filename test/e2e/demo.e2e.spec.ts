import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { demoConfigYaml, parseConfig } from '#config';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import { freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { startBroker } from '../support/broker.js';
import { TestIssuer } from '../support/test-issuer.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The newcomer's path: the README walk-through against the built-in demo config. */
describe('demo config', () => {
  let app: INestApplication;
  let database: FreshDatabase;
  let base: string;
  let port: number;
  let config: ReturnType<typeof parseConfig>;

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    database = await freshDatabase('sqlite');
    config = parseConfig(
      demoConfigYaml(),
      { DATABASE_URL: database.url, PORT: String(port), PUBLIC_URL: base },
      { demo: true },
    );
    app = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const call = async (method: string, path: string, token: string, body?: object) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const token = async (user: string) =>
    (await (await fetch(`${base}/demo/token/${user}`)).text()).trim();

  it('walks request -> refusals -> approve -> mint -> introspect -> revoke with demo tokens', async () => {
    const [alice, bob] = [await token('alice'), await token('bob')];
    const created = await call('POST', '/v1/requests', alice, {
      role: 'prod-db-admin',
      duration: '30m',
      justification: 'INC-1234',
    });
    expect(created.status).toBe(201);
    expect(created.body.requester).toBe('demo:alice');
    const id = created.body.id as string;

    expect(await call('POST', `/v1/requests/${id}/approve`, alice)).toMatchObject({
      status: 403,
      body: { reason: 'self_approval' },
    });
    expect(await call('POST', `/v1/requests/${id}/approve`, bob, { comment: 'ok' })).toMatchObject({
      status: 200,
      body: { status: 'approved' },
    });
    expect(await call('POST', `/v1/requests/${id}/credentials`, bob)).toMatchObject({
      status: 403,
      body: { reason: 'recipient_is_approver' },
    });

    const minted = await call('POST', `/v1/requests/${id}/credentials`, alice);
    expect(minted.status).toBe(201);
    const { token: credential } = minted.body.credential as { token: string };
    expect(await call('POST', '/v1/introspect', bob, { token: credential })).toMatchObject({
      body: { active: true, sub: 'demo:alice' },
    });
    expect(
      await call('POST', `/v1/grants/${String(minted.body.grantId)}/revoke`, alice, {
        reason: 'done',
      }),
    ).toMatchObject({ status: 200, body: { status: 'revoked' } });
    expect(await call('POST', '/v1/introspect', bob, { token: credential })).toEqual({
      status: 200,
      body: { active: false },
    });
    expect(await call('GET', '/v1/audit/verify', await token('dave'))).toMatchObject({
      status: 200,
      body: { ok: true },
    });
  });

  it('has no token for someone who is not a demo user', async () => {
    expect((await fetch(`${base}/demo/token/eve`)).status).toBe(404);
  });

  it('keeps demo tokens working across a restart of the demo (its key kept beside the database)', async () => {
    const before = await token('alice');
    const keysBefore = await (await fetch(`${base}/demo/jwks.json`)).json();
    await app.close();
    app = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
    await app.listen(port, '127.0.0.1');

    expect(await (await fetch(`${base}/demo/jwks.json`)).json()).toEqual(keysBefore);
    expect((await call('GET', '/v1/roles', before)).status).toBe(200);
  });
});

describe('a real config', () => {
  it('exposes no demo issuer routes', async () => {
    const issuer = await TestIssuer.start();
    const broker = await startBroker({ kind: 'sqlite', issuer });
    try {
      for (const path of ['/demo/token/alice', '/demo/jwks.json', '/demo/users']) {
        const response = await broker.http.get(path);
        expect(response.status).toBe(404);
        expect(response.text).not.toContain('eyJ');
      }
      expect(broker.config.demo).toBe(false);
      expect(broker.config.demoUsers).toEqual([]);
      // Neither demo nor auth.web: /auth/login says so instead of a bare 404.
      const login = await broker.http.get('/auth/login');
      expect(login.status).toBe(200);
      expect(login.text).toContain('no web sign-in configured');
    } finally {
      await broker.close();
      await issuer.close();
    }
  });
});
