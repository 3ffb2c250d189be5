import { demoConfigYaml, parseConfig } from '#config';
import { migrations } from '#migrations';
import { openDatabase } from '#persistence';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

const TABLES = [
  'access_requests',
  'approvals',
  'audit_events',
  'grants',
  'grant_revocations',
  'signing_keys',
  'slack_messages',
  'web_sessions',
  'web_logins',
  'service_accounts',
];

describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  it('apply at start-up, are idempotent across restarts, and revert cleanly', async () => {
    const database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    try {
      const first = await openDatabase(config.database);
      await first.destroy();
      const dataSource = await openDatabase(config.database);
      const runner = dataSource.createQueryRunner();
      for (const table of TABLES) expect(await runner.hasTable(table)).toBe(true);
      for (let i = 0; i < migrations.length; i += 1) await dataSource.undoLastMigration();
      for (const table of TABLES) expect(await runner.hasTable(table)).toBe(false);
      await runner.release();
      await dataSource.destroy();
    } finally {
      await database.drop();
    }
  });
});
