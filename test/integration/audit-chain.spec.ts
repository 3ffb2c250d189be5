import type { DataSource } from 'typeorm';
import { COPY_FROM_ROWS } from '#audit';
import { demoConfigYaml, parseConfig } from '#config';
import { UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import type { FreshDatabase } from '../support/databases.js';
import { tamperWithAuditLog } from '../support/tamper.js';

describe.each(DATABASE_KINDS)('audit chain on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  let uow: UnitOfWork;
  let log: ReturnType<typeof testAuditLog>;
  let audit: ReturnType<typeof testAuditLog>['audit'];

  beforeAll(async () => {
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
    uow = new UnitOfWork(dataSource);
    log = testAuditLog(dataSource, uow);
    audit = log.audit;
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('appends strictly in order under 50 concurrent transactions', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        uow.run(async (tx) => {
          await audit.append(tx, { type: 'request.created', actor: `corp:user-${i}`, data: { i } });
          // A second event in the same transaction must follow the first directly.
          await audit.append(tx, {
            type: 'policy.evaluated',
            actor: `corp:user-${i}`,
            data: { i },
          });
        }),
      ),
    );
    const events = await log.list({ limit: 200 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (let i = 1; i < events.length; i += 1) expect(events[i].prevHash).toBe(events[i - 1].hash);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i + 1].actor).toBe(events[i].actor);
      expect(events[i + 1].type).toBe('policy.evaluated');
    }
    await expect(log.verify(7)).resolves.toMatchObject({
      ok: true,
      events: 100,
      head: events[99].hash,
      checkpoint: { size: 100 },
    });
  });

  it('stores every character a principal or a reason may hold exactly, and the chain verifies', async () => {
    const awkward = 'tab\there\nline\r\\N \\. back\\slash "quote" zoë 🔑';
    const before = await log.verify();
    // A few events (one INSERT on PostgreSQL), then a batch large enough for COPY.
    const batches = [2, COPY_FROM_ROWS + 20];
    for (const size of batches) {
      await uow.run((tx) =>
        audit.appendMany(tx, [
          { type: 'grant.revoked', actor: `corp:${awkward}`, data: { reason: awkward, n: 1 } },
          ...Array.from({ length: size - 1 }, (_, i) => ({
            type: 'grant.revoked' as const,
            actor: 'corp:plain',
            requestId: awkward.slice(0, 36),
            data: { i },
          })),
        ]),
      );
    }
    const written = await log.list({ afterSeq: before.events, limit: 500 });
    expect(written).toHaveLength(batches[0] + batches[1]);
    for (const first of [written[0], written[batches[0]]]) {
      expect(first).toMatchObject({ actor: `corp:${awkward}`, data: { reason: awkward, n: 1 } });
      expect(first.requestId).toBeUndefined();
    }
    expect(written.at(-1)).toMatchObject({
      actor: 'corp:plain',
      requestId: awkward.slice(0, 36),
      data: { i: batches[1] - 2 },
    });
    await expect(log.verify()).resolves.toMatchObject({
      ok: true,
      events: before.events + batches[0] + batches[1],
      head: written.at(-1)!.hash,
    });
  });

  it('rolls an event back with the transaction that wrote it', async () => {
    const before = await log.verify();
    await expect(
      uow.run(async (tx) => {
        await audit.append(tx, { type: 'request.created', actor: 'corp:rollback' });
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    await expect(log.verify()).resolves.toEqual(before);
  });

  it('refuses data that looks like a secret', async () => {
    await expect(
      uow.run((tx) =>
        audit.append(tx, {
          type: 'credential.issued',
          actor: 'corp:x',
          data: { nested: { token: 'x' } },
        }),
      ),
    ).rejects.toThrow('data.nested.token looks like a secret');
  });

  it('reports the first broken link: a changed row and a removed row', async () => {
    const { events } = await log.verify();
    await tamperWithAuditLog(
      dataSource,
      `UPDATE audit_events SET actor = 'corp:someone-else' WHERE seq = 40`,
    );
    await expect(log.verify()).resolves.toMatchObject({
      ok: false,
      brokenAt: 40,
      events: 39,
    });
    await tamperWithAuditLog(dataSource, `DELETE FROM audit_events WHERE seq = 20`);
    await expect(log.verify()).resolves.toMatchObject({
      ok: false,
      brokenAt: 20,
    });
    expect(events).toBeGreaterThan(40);
  });
});
