import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import { migrations } from '#migrations';
import { openDatabase } from '#persistence';
import { freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';

jest.setTimeout(60_000);

const PROCESSES = 3;

// PostgreSQL only: a SQLite file belongs to one process, with nothing to race.
describe('migrations started by several processes at once on postgres', () => {
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

  it('all come up on an empty database, each migration applied exactly once, the lock released', async () => {
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const results = await Promise.allSettled(
      Array.from({ length: PROCESSES }, () => openDatabase(config.database)),
    );
    for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [String(result.reason)] : [],
    );
    expect(failures).toEqual([]);

    const [dataSource] = opened;
    const applied = await dataSource.query<{ name: string; times: string }[]>(
      'SELECT name, COUNT(*) AS times FROM migrations GROUP BY name',
    );
    expect(applied.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(
      migrations
        .map((migration) => migration.name)
        .sort()
        .map((name) => ({ name, times: '1' })),
    );
    // Released once migrated, though every connection that took it is still open in its pool.
    const advisory = await dataSource.query<{ n: string }[]>(
      `SELECT COUNT(*) AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(advisory).toEqual([{ n: '0' }]);
  });
});
