import type { DataSource } from 'typeorm';
import type { AuditEventInput } from '#audit';
import { demoConfigYaml, parseConfig } from '#config';
import { UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { tamperWithAuditLog } from '../support/tamper.js';

const events = (n: number): AuditEventInput[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'request.created', actor: 'corp:a', data: { i } }));

/** PostgreSQL only: SQLite has no guard worth the name (whoever writes the file rewrites it). */
describe('the audit log on PostgreSQL is append-only', () => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  let uow: UnitOfWork;
  let log: ReturnType<typeof testAuditLog>;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
    uow = new UnitOfWork(dataSource);
    log = testAuditLog(dataSource, uow);
    await uow.run((tx) => log.audit.appendMany(tx, events(5)));
    await log.integrator.catchUp();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it.each([
    ['UPDATE', `UPDATE audit_events SET actor = 'corp:mallory' WHERE seq = 2`],
    ['DELETE', 'DELETE FROM audit_events WHERE seq = 5'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('refuses %s, whoever asks, and leaves the chain intact', async (operation, sql) => {
    await expect(dataSource.query(sql)).rejects.toThrow(
      `audit_events is append-only: ${operation} refused`,
    );
    await expect(log.verify()).resolves.toMatchObject({ ok: true, events: 5 });
  });

  it('still takes new events, and the head they move', async () => {
    await uow.run((tx) => log.audit.appendMany(tx, events(3)));
    await expect(log.verify()).resolves.toMatchObject({ ok: true, events: 8 });
  });

  it('stops nobody who can disable the trigger: the recorded head then reports the hole', async () => {
    await tamperWithAuditLog(dataSource, 'DELETE FROM audit_events WHERE seq > 6');
    await expect(log.verify()).resolves.toMatchObject({
      ok: false,
      reason: 'truncated',
      brokenAt: 7,
    });
  });
});
