import { demoConfigYaml, parseConfig } from '#config';
import { migrations } from '#migrations';
import { openDatabase } from '#persistence';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

const TABLES = [
  'access_requests',
  'approvals',
  'audit_events',
  'audit_head',
  'grants',
  'grant_revocations',
  'revoked_credentials',
  'signing_keys',
  'log_keys',
  'slack_messages',
  'web_sessions',
  'web_logins',
  'service_accounts',
  'principal_groups',
  'notification_outbox',
  'slack_direct_messages',
  'principal_emails',
  'grant_end_warnings',
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

  it('carries the active grants of an existing install into grant_revocations, nothing lost', async () => {
    const database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const dataSource = await openDatabase(config.database);
    try {
      // Back to the schema before the revocations owed had a table of their own (the migrations
      // after it undone first).
      const runner = dataSource.createQueryRunner();
      while (await runner.hasTable('grant_revocations')) await dataSource.undoLastMigration();
      await runner.release();
      const grant = (id: string, status: string, expiresAt: number, retryAt: number | null) =>
        dataSource.query(
          `INSERT INTO grants (id, request_id, role, resource, recipient, actions, approvers, status,
             issued_at, expires_at, kid, next_revocation_at)
           VALUES ('${id}', 'req-${id}', 'r', 'x', 'corp:alice', '[]', '[]', '${status}', 1,
                   ${expiresAt}, 'k', ${retryAt ?? 'NULL'})`,
        );
      await grant('active-future', 'active', 5_000, null);
      await grant('active-failing', 'active', 1_000, 9_000);
      await grant('ended', 'expired', 2_000, null);
      await dataSource.runMigrations({ transaction: 'each' });
      const owed = await dataSource.query<
        { grant_id: string; due_at: string | number; expires_at: string | number }[]
      >('SELECT grant_id, due_at, expires_at FROM grant_revocations ORDER BY grant_id');
      // Each keeps its grant's expiry (AddRevocationExpiry), the failing one its next attempt.
      expect(owed.map((row) => [row.grant_id, Number(row.due_at), Number(row.expires_at)])).toEqual(
        [
          ['active-failing', 9_000, 1_000],
          ['active-future', 5_000, 5_000],
        ],
      );
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  it('lists the credentials an existing install revoked early and that have not expired', async () => {
    const database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const dataSource = await openDatabase(config.database);
    try {
      const runner = dataSource.createQueryRunner();
      while (await runner.hasTable('revoked_credentials')) await dataSource.undoLastMigration();
      await runner.release();
      const grant = (id: string, status: string, expiresAt: number, endedAt: number | null) =>
        dataSource.query(
          `INSERT INTO grants (id, request_id, role, resource, recipient, actions, approvers, status,
             issued_at, expires_at, ended_at, kid)
           VALUES ('${id}', 'req-${id}', 'r', 'x', 'corp:alice', '[]', '[]', '${status}', 1,
                   ${expiresAt}, ${endedAt ?? 'NULL'}, 'k')`,
        );
      await grant('revoked-early', 'revoked', 9_000, 2_000);
      await grant('revoked-late', 'revoked', 3_000, 4_000);
      await grant('expired', 'expired', 5_000, 5_000);
      await grant('active', 'active', 6_000, null);
      await dataSource.runMigrations({ transaction: 'each' });
      const listed = await dataSource.query<{ grant_id: string; expires_at: string | number }[]>(
        'SELECT grant_id, expires_at FROM revoked_credentials',
      );
      expect(listed.map((row) => [row.grant_id, Number(row.expires_at)])).toEqual([
        ['revoked-early', 9_000],
      ]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  it('makes every existing service account’s creator its key holder', async () => {
    const database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    const dataSource = await openDatabase(config.database);
    try {
      const runner = dataSource.createQueryRunner();
      while (await runner.hasTable('principal_groups')) await dataSource.undoLastMigration();
      expect(await runner.hasColumn('service_accounts', 'key_holder')).toBe(false);
      await runner.release();
      await dataSource.query(
        `INSERT INTO service_accounts (id, name, owner, groups, status, key_id, key_hash,
           key_created_at, created_at, created_by)
         VALUES ('sa-1', 'ci', 'corp:alice', '[]', 'active', 'k1', 'h1', 1, 1, 'corp:dave')`,
      );
      await dataSource.runMigrations({ transaction: 'each' });
      const rows = await dataSource.query<{ key_holder: string }[]>(
        "SELECT key_holder FROM service_accounts WHERE id = 'sa-1'",
      );
      expect(rows).toEqual([{ key_holder: 'corp:dave' }]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
