import { jest } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { parseConfig } from '#config';
import { UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { TEST_ENCRYPTION_KEY, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS, TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(180_000);

const EVENTS = 30_000;
const BATCH = 500; // the deliverer's default
const KILLS = 3;

/**
 * The file's event seqs must be 1..EVENTS in order, except that after each kill the stream may
 * go back at most one batch (the batch in flight when the process died, sent again) and go on
 * from there: nothing missing, nothing out of order, duplicates only as a re-sent tail.
 */
function checkResumedStream(seqs: readonly number[]): { restarts: number } {
  let last = 0;
  let restarts = 0;
  for (const seq of seqs) {
    if (seq !== last + 1) {
      if (seq > last || seq <= last - BATCH) {
        throw new Error(`seq ${seq} after ${last}: a gap or a jump back of more than a batch`);
      }
      restarts += 1;
    }
    last = seq;
  }
  if (last !== EVENTS) throw new Error(`the stream ends at ${last}, not ${EVENTS}`);
  return { restarts };
}

describe.each(DATABASE_KINDS)('an audit sink across SIGKILLs on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let scratch: string;

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { stdio: 'ignore' });
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    scratch = mkdtempSync(join(tmpdir(), 'countersign-sink-crash-'));
  });

  afterAll(async () => {
    await issuer.close();
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('a worker killed mid-stream again and again resumes from its cursor: every seq in order, only a re-sent tail repeated', async () => {
    const path = join(scratch, 'audit.jsonl');
    const yaml = testConfigYaml(
      issuer,
      `audit:\n  sinks:\n    - { name: crash-test, type: file, path: "${path}" }\n`,
    );
    const env = {
      DATABASE_URL: database.url,
      COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TEST_QUEUE_PREFIX: database.queuePrefix,
      ...(kind === 'postgres' ? { REDIS_URL: TEST_REDIS_URL } : {}),
    };
    // The log, integrated before any worker starts: the workers only stream it.
    const config = parseConfig(yaml, env);
    const dataSource: DataSource = await openDatabase(config.database);
    try {
      const uow = new UnitOfWork(dataSource);
      const log = testAuditLog(dataSource, uow);
      for (let written = 0; written < EVENTS; written += 2000) {
        await uow.run((tx) =>
          log.audit.appendMany(
            tx,
            Array.from({ length: 2000 }, (_, i) => ({
              type: 'request.created' as const,
              actor: 'corp:alice',
              data: { n: written + i, pad: 'x'.repeat(200) },
            })),
          ),
        );
        await log.integrator.catchUp();
      }
    } finally {
      await dataSource.destroy();
    }

    const size = () => (existsSync(path) ? statSync(path).size : 0);
    // Whole lines only: a process killed mid-write leaves part of one at the end, which the
    // next deliverer cuts off before it writes.
    const seqs = () =>
      readFileSync(path, 'utf8')
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as { seq?: number })
        .filter((record) => record.seq !== undefined)
        .map((record) => record.seq!);
    const spawnWorker = (name: string): ChildProcess =>
      spawn(process.execPath, ['test/support/children/audit-sink-worker.mjs'], {
        env: {
          ...process.env,
          ...env,
          CHILD_CONFIG_YAML: yaml,
          CHILD_READY: join(scratch, name),
        },
        stdio: 'ignore',
      });
    const exited = (child: ChildProcess) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
        else child.once('exit', resolve);
      });

    const seenAtKill: number[] = [];
    let child: ChildProcess | undefined;
    try {
      for (let kill = 0; kill < KILLS; kill += 1) {
        const before = size();
        child = spawnWorker(`ready-${kill}`);
        // Killed as soon as it has written something more: in the middle of the stream.
        await eventually(() => (size() > before ? true : undefined), 30_000, 2);
        child.kill('SIGKILL');
        await exited(child);
        seenAtKill.push(new Set(seqs()).size);
      }
      // Each kill landed mid-stream: the test would prove nothing otherwise.
      expect(seenAtKill[KILLS - 1]).toBeLessThan(EVENTS);

      child = spawnWorker('ready-last');
      await eventually(() => (new Set(seqs()).size === EVENTS ? true : undefined), 60_000);
      child.kill('SIGTERM');
      await exited(child);
    } finally {
      child?.kill('SIGKILL');
    }

    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    const all = seqs();
    expect(new Set(all).size).toBe(EVENTS);
    const { restarts } = checkResumedStream(all);
    expect(restarts).toBeLessThanOrEqual(KILLS);
    expect(all.length - EVENTS).toBeLessThanOrEqual(KILLS * BATCH);
  });
});
