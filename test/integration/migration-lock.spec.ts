import { jest } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import { migrations } from '#migrations';
import { openDatabase } from '#persistence';
import { freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { eventually } from '../support/flow.js';

jest.setTimeout(60_000);

const PROCESSES = 3;

/** Each migration recorded exactly once, and no advisory lock left on the database. */
async function expectMigratedOnceAndUnlocked(dataSource: DataSource): Promise<void> {
  const applied = await dataSource.query<{ name: string; times: string }[]>(
    'SELECT name, COUNT(*) AS times FROM migrations GROUP BY name',
  );
  expect(applied.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(
    migrations
      .map((migration) => migration.name)
      .sort()
      .map((name) => ({ name, times: '1' })),
  );
  // Released once migrated, though a connection that took it may still be open in its pool.
  const advisory = await dataSource.query<{ n: string }[]>(
    `SELECT COUNT(*) AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  expect(advisory).toEqual([{ n: '0' }]);
}

// PostgreSQL only: a SQLite file belongs to one process, with nothing to race.
describe('migrations started together on an empty postgres database', () => {
  let database: FreshDatabase;
  let opened: DataSource[] = [];

  beforeEach(async () => {
    database = await freshDatabase('postgres');
    opened = [];
  });

  afterEach(async () => {
    await Promise.all(opened.map((dataSource) => dataSource.destroy()));
    await database.drop();
  });

  it('three data sources at once all come up, each migration applied once, the lock released', async () => {
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const results = await Promise.allSettled(
      Array.from({ length: PROCESSES }, () => openDatabase(config.database)),
    );
    for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [String(result.reason)] : [],
    );
    expect(failures).toEqual([]);

    await expectMigratedOnceAndUnlocked(opened[0]);
  });

  it('three processes started at the same instant all come up, each migration applied once', async () => {
    execFileSync('npm', ['run', '-s', 'build'], { stdio: 'ignore' });
    const scratch = mkdtempSync(join(tmpdir(), 'countersign-migration-lock-'));
    const go = join(scratch, 'go');
    try {
      const exits = Array.from({ length: PROCESSES }, (_, i) => {
        const child = spawn(process.execPath, ['test/support/children/migrating-process.mjs'], {
          env: {
            ...process.env,
            DATABASE_URL: database.url,
            CHILD_READY: join(scratch, `ready-${i}`),
            CHILD_GO: go,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        return new Promise<string>((resolve) =>
          child.once('exit', (code) => resolve(code === 0 ? 'ok' : `exit ${code}: ${stderr}`)),
        );
      });
      // Every process loaded before any starts migrating: the start is one instant for all.
      await eventually(
        () =>
          Array.from({ length: PROCESSES }, (_, i) =>
            existsSync(join(scratch, `ready-${i}`)),
          ).every(Boolean)
            ? true
            : undefined,
        20_000,
      );
      writeFileSync(go, 'go');
      expect(await Promise.all(exits)).toEqual(Array(PROCESSES).fill('ok'));

      const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
      opened.push(await openDatabase(config.database));
      await expectMigratedOnceAndUnlocked(opened[0]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
