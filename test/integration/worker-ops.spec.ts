import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { parseConfig } from '#config';
import { GrantRepository, GrantRow, UnitOfWork } from '#persistence';
import { createWorker } from '../../apps/worker/src/bootstrap.js';
import { TEST_ENCRYPTION_KEY, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

/** An active grant that expired a minute ago and that nothing has ended. */
function overdueGrant(): GrantRow {
  const expiresAt = new Date(Date.now() - 60_000);
  return Object.assign(new GrantRow(), {
    id: randomUUID(),
    requestId: randomUUID(),
    role: 'prod-db-admin',
    resource: 'postgres://prod/main',
    recipient: 'corp:alice',
    actions: ['read'],
    approvers: ['corp:bob'],
    status: 'active',
    issuedAt: new Date(expiresAt.getTime() - 60_000),
    expiresAt,
    endedAt: null,
    revokedReason: null,
    revokedBy: null,
    revocationFailures: 0,
    nextRevocationAt: null,
    kid: 'key-1',
    breakGlass: false,
    act: null,
  });
}

// The worker as main.ts runs it, listening on a port of its own (PostgreSQL + Redis).
describe('the worker’s health and metrics routes', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let worker: INestApplication;
  let base: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    const config = parseConfig(testConfigYaml(issuer), {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TEST_QUEUE_PREFIX: database.queuePrefix,
    });
    // No sweep and no start-up catch-up: the overdue grant below stays overdue.
    worker = await createWorker(
      config,
      { runSweep: false, catchUpAtStartup: false },
      { logger: false },
    );
    await worker.listen(0, '127.0.0.1');
    const { port } = (worker.getHttpServer() as Server).address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await worker?.close();
    await database?.drop();
    await issuer?.close();
  });

  it('GET /health/live answers ok', async () => {
    const response = await fetch(`${base}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready reports the database and Redis up', async () => {
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; details: Record<string, unknown> };
    expect(body.status).toBe('ok');
    expect(body.details.database).toMatchObject({ status: 'up' });
    expect(body.details.redis).toMatchObject({ status: 'up' });
  });

  it('GET /metrics exposes the revocation lag histogram and counts the overdue grant', async () => {
    const uow = worker.get(UnitOfWork);
    await new GrantRepository().insert(uow.dataSource.manager, [overdueGrant()]);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE countersign_revocation_lag_seconds histogram');
    expect(text).toMatch(/^countersign_grants_overdue 1$/m);
  });

  it('serves nothing else: no API, no key sets', async () => {
    for (const path of ['/v1/requests', '/.well-known/jwks.json', '/demo/token/alice']) {
      expect((await fetch(`${base}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  // Last: it closes the worker's database pool.
  it('GET /health/ready answers 503 once the database does not answer', async () => {
    await worker.get(UnitOfWork).dataSource.destroy();
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; details: Record<string, unknown> };
    expect(body.status).toBe('error');
    expect(body.details.database).toMatchObject({ status: 'down' });
  });
});
