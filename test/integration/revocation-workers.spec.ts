import { jest } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import type { RevocationScheduler } from '#access';
import { DATA_SOURCE, REVOCATION_SCHEDULER, RevocationSweepTask } from '#access';
import { LogIntegrator } from '#audit';
import { parseConfig } from '#config';
import { GrantRepository, GrantRow } from '#persistence';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { TEST_ENCRYPTION_KEY, startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { eventually, mintQuickGrant } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

/** Workers as a separate install runs them: the broker schedules, workers revoke. */
const externalWorkers = (issuer: TestIssuer) =>
  testConfigYaml(issuer).replace('sweepInterval: 30s', 'sweepInterval: 30s\n  worker: external');

function envFor(database: FreshDatabase): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    TEST_QUEUE_PREFIX: database.queuePrefix,
  };
}

async function startWorker(
  yaml: string,
  database: FreshDatabase,
): Promise<INestApplicationContext> {
  const config = parseConfig(yaml, envFor(database));
  // Jobs only: no start-up catch-up and no periodic sweep, so what ends a grant here is a job
  // (or a sweep the test calls itself).
  const module = WorkerModule.forRoot(config, {
    runSweep: false,
    catchUpAtStartup: false,
    workerOptions: { lockDuration: 2000, stalledInterval: 1000 },
  });
  return NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
}

/** End events per grant, once every event committed so far is in the log. */
async function endEventsByGrant(
  dataSource: DataSource,
  app: INestApplicationContext,
): Promise<Map<string, number>> {
  await app.get(LogIntegrator).catchUp();
  const rows: { grant_id: string; n: string | number }[] = await dataSource.query(
    `SELECT grant_id, COUNT(*) AS n FROM audit_events WHERE type IN ('grant.expired', 'grant.revoked') GROUP BY grant_id`,
  );
  return new Map(rows.map((row) => [row.grant_id, Number(row.n)]));
}

describe('revocation workers (PostgreSQL + Redis)', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('a worker SIGKILLed in the middle of a revocation leaves a job that is retried and ends the grant once', async () => {
    execFileSync('npm', ['run', '-s', 'build'], { stdio: 'ignore' });
    const database = await freshDatabase('postgres');
    const yaml = externalWorkers(issuer);
    const broker = await startBroker({ kind: 'postgres', issuer, database, yaml });
    const scratch = mkdtempSync(join(tmpdir(), 'countersign-child-'));
    const marker = join(scratch, 'revoking');
    const ready = join(scratch, 'ready');
    let child: ChildProcess | undefined;
    let survivor: INestApplicationContext | undefined;
    try {
      child = spawn(process.execPath, ['test/support/children/hanging-worker.mjs'], {
        env: {
          ...process.env,
          ...envFor(database),
          CHILD_CONFIG_YAML: yaml,
          CHILD_MARKER: marker,
          CHILD_READY: ready,
        },
        stdio: 'ignore',
      });
      await eventually(() => (existsSync(ready) ? true : undefined), 20_000);

      const minted = await mintQuickGrant(broker, '1s');
      const revoking = await eventually(
        () => (existsSync(marker) ? readFileSync(marker, 'utf8') : undefined),
        10_000,
      );
      expect(revoking).toBe(minted.grantId);
      child.kill('SIGKILL');
      await new Promise((resolve) => child?.once('exit', resolve));

      const dataSource = broker.app.get<DataSource>(DATA_SOURCE);
      const before = await dataSource.manager.findOneByOrFail(GrantRow, { id: minted.grantId });
      expect(before.status).toBe('active');

      survivor = await startWorker(yaml, database);
      const ended = await eventually(async () => {
        const grant = await dataSource.manager.findOneByOrFail(GrantRow, { id: minted.grantId });
        return grant.status === 'active' ? undefined : grant;
      }, 20_000);
      expect(ended.status).toBe('expired');
      expect((await endEventsByGrant(dataSource, broker.app)).get(minted.grantId)).toBe(1);
      const [event] = await dataSource.query<{ data: string }[]>(
        `SELECT data FROM audit_events WHERE type = 'grant.expired' AND grant_id = $1`,
        [minted.grantId],
      );
      expect(JSON.parse(event.data)).toMatchObject({ source: 'job' });
    } finally {
      child?.kill('SIGKILL');
      await survivor?.close();
      await broker.close();
      await database.drop();
    }
  });

  it('two workers and two sweeps racing over 500 grants end each exactly once', async () => {
    const database = await freshDatabase('postgres');
    const yaml = externalWorkers(issuer);
    const workers = [await startWorker(yaml, database), await startWorker(yaml, database)];
    try {
      const dataSource = workers[0].get<DataSource>(DATA_SOURCE);
      const start = Date.now() + 1500;
      const grants = Array.from({ length: 500 }, (_, i) =>
        Object.assign(new GrantRow(), {
          id: randomUUID(),
          requestId: randomUUID(),
          role: 'quick',
          resource: 'https://quick.example.com',
          recipient: `corp:user-${i}`,
          actions: ['run'],
          approvers: ['corp:bob'],
          status: 'active',
          issuedAt: new Date(),
          expiresAt: new Date(start + (i % 50) * 20),
          endedAt: null,
          revokedReason: null,
          revokedBy: null,
          revocationFailures: 0,
          nextRevocationAt: null,
          kid: 'test',
        }),
      );
      for (let i = 0; i < grants.length; i += 100)
        await new GrantRepository().insert(dataSource.manager, grants.slice(i, i + 100));
      await workers[0]
        .get<RevocationScheduler>(REVOCATION_SCHEDULER)
        .schedule(grants.map((g) => g.expiresAt));

      // Sweeps from both replicas race the jobs from the moment the first grants fall due.
      await new Promise((resolve) => setTimeout(resolve, start - Date.now()));
      for (let round = 0; round < 5; round += 1) {
        await Promise.all(workers.map((worker) => worker.get(RevocationSweepTask).sweep()));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await eventually(async () => {
        const active = await dataSource.manager.countBy(GrantRow, { status: 'active' });
        return active === 0 ? true : undefined;
      }, 20_000);

      const ends = await endEventsByGrant(dataSource, workers[0]);
      expect(ends.size).toBe(500);
      expect([...ends.values()].every((count) => count === 1)).toBe(true);
      for (const grant of grants) expect(ends.get(grant.id)).toBe(1);
      const sources: { source: string; n: string }[] = await dataSource.query(
        `SELECT data::json->>'source' AS source, COUNT(*) AS n FROM audit_events WHERE type = 'grant.expired' GROUP BY 1`,
      );
      expect(sources.reduce((sum, row) => sum + Number(row.n), 0)).toBe(500);
    } finally {
      for (const worker of workers) await worker.close();
      await database.drop();
    }
  });
});
