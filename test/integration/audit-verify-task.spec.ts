import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { AuditLog } from '#audit';
import { AuditVerifyTask, MetricsService } from '#access';
import type { AppConfig } from '#config';
import { parseConfig } from '#config';
import { UnitOfWork } from '#persistence';
import { createWorker } from '../../apps/worker/src/bootstrap.js';
import { TEST_ENCRYPTION_KEY, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { tamperWithAuditLog } from '../support/tamper.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

/** The audit gauges' lines of a worker's /metrics text. */
async function auditGauges(worker: INestApplication): Promise<string[]> {
  const text = await worker.get(MetricsService).registry.metrics();
  return text.split('\n').filter((line) => /^countersign_audit_verified/.test(line));
}

// Two workers on one PostgreSQL database (and Redis), as replicas run: the periodic verification
// of the audit log, one replica at a time, and what its gauges say.
describe('the worker’s periodic audit verification', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let config: AppConfig;
  let first: INestApplication;
  let second: INestApplication;
  let firstClosed = false;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    config = parseConfig(testConfigYaml(issuer), {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TEST_QUEUE_PREFIX: database.queuePrefix,
    });
    const options = { runSweep: false, catchUpAtStartup: false };
    first = await createWorker(config, options, { logger: false });
    await first.init();
    second = await createWorker(config, options, { logger: false });
    await second.init();
    const uow = first.get(UnitOfWork);
    const audit = first.get(AuditLog);
    for (let i = 0; i < 5; i += 1) {
      await uow.run((tx) => audit.append(tx, { type: 'request.created', actor: `corp:user-${i}` }));
    }
  });

  afterAll(async () => {
    await second?.close();
    if (!firstClosed) await first?.close();
    await database?.drop();
    await issuer?.close();
  });

  it('verifies every interval of audit.verifyInterval, an hour by default', () => {
    expect(config.audit.verifyInterval).toBe(3600);
  });

  it('reports an intact log as verified, with the time; the other replica waits its turn', async () => {
    const before = Date.now() / 1000;
    await expect(first.get(AuditVerifyTask).tick()).resolves.toMatchObject({ ok: true, events: 5 });
    const lines = await auditGauges(first);
    expect(lines).toContain('countersign_audit_verified 1');
    const stamp = lines.find((line) => line.startsWith('countersign_audit_verified_timestamp'));
    expect(Number(stamp?.split(' ')[1])).toBeGreaterThanOrEqual(Math.floor(before));

    // The turn is the first replica's: the second neither verifies nor exports a gauge.
    await expect(second.get(AuditVerifyTask).tick()).resolves.toBeUndefined();
    expect(await auditGauges(second)).toEqual([]);
  });

  it('turns the gauge to 0 once the log was rewritten behind its back', async () => {
    await tamperWithAuditLog(
      first.get(UnitOfWork).dataSource,
      `UPDATE audit_events SET actor = 'corp:someone-else' WHERE seq = 3`,
    );
    await expect(first.get(AuditVerifyTask).tick()).resolves.toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: 'altered',
    });
    expect(await auditGauges(first)).toContain('countersign_audit_verified 0');
  });

  it('passes the turn on when the replica holding it stops', async () => {
    await first.close();
    firstClosed = true;
    await expect(second.get(AuditVerifyTask).tick()).resolves.toMatchObject({ ok: false });
    expect(await auditGauges(second)).toContain('countersign_audit_verified 0');
  });
});
