import type { DataSource } from 'typeorm';
import type { AuditEventInput } from '#audit';
import { COPY_FROM_ROWS, GENESIS_HASH } from '#audit';
import { demoConfigYaml, parseConfig } from '#config';
import { AuditHeadRow, UnitOfWork, openDatabase } from '#persistence';
import { testAuditLog } from '../support/audit-log.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import type { DatabaseKind, FreshDatabase } from '../support/databases.js';
import { tamperWithAuditLog } from '../support/tamper.js';

const events = (n: number, actor = 'corp:alice'): AuditEventInput[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'request.created', actor, data: { i } }));

/** A database migrated to the latest schema, for one test. */
async function withDatabase(
  kind: DatabaseKind,
  test: (
    dataSource: DataSource,
    uow: UnitOfWork,
    log: ReturnType<typeof testAuditLog>,
  ) => Promise<void>,
): Promise<void> {
  const database: FreshDatabase = await freshDatabase(kind);
  const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
  const dataSource = await openDatabase(config.database);
  try {
    const uow = new UnitOfWork(dataSource);
    await test(dataSource, uow, testAuditLog(dataSource, uow));
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

const recordedHead = async (dataSource: DataSource) =>
  dataSource.manager.findOneBy(AuditHeadRow, { id: 1 });

describe.each(DATABASE_KINDS)('the audit chain head on %s', (kind) => {
  const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');

  it('is recorded in the transaction of every append, INSERT and COPY alike, and not on rollback', () =>
    withDatabase(kind, async (dataSource, uow, { audit, ...log }) => {
      expect(await recordedHead(dataSource)).toEqual({
        id: 1,
        seq: 0,
        hash: GENESIS_HASH,
        treeSize: 0,
      });
      for (const size of [1, 3, COPY_FROM_ROWS + 5]) {
        await uow.run((tx) => audit.appendMany(tx, events(size)));
        const [newest] = await log.list({
          afterSeq: (await log.verify()).events - 1,
          limit: 1,
        });
        expect(await recordedHead(dataSource)).toEqual({
          id: 1,
          seq: newest.seq,
          hash: newest.hash,
          treeSize: newest.seq,
        });
      }
      const before = await recordedHead(dataSource);
      await expect(
        uow.run(async (tx) => {
          await audit.append(tx, events(1)[0]);
          throw new Error('state change failed');
        }),
      ).rejects.toThrow('state change failed');
      expect(await recordedHead(dataSource)).toEqual(before);
      await expect(log.verify()).resolves.toMatchObject({
        ok: true,
        events: 1 + 3 + COPY_FROM_ROWS + 5,
        head: before!.hash,
      });
    }));

  it('reports newest events deleted behind its back, and keeps reporting them after new appends', () =>
    withDatabase(kind, async (dataSource, uow, { audit, ...log }) => {
      await uow.run((tx) => audit.appendMany(tx, events(10)));
      const intact = await log.verify();
      expect(intact).toMatchObject({ ok: true, events: 10 });

      await tamperWithAuditLog(dataSource, `DELETE FROM audit_events WHERE seq > ${p(1)}`, [7]);
      const [seventh] = await log.list({ afterSeq: 6, limit: 1 });
      await expect(log.verify()).resolves.toEqual({
        ok: false,
        events: 7,
        head: seventh.hash,
        rootHash: expect.any(String) as string,
        brokenAt: 8,
        reason: 'truncated',
      });

      // The next event links to the recorded head, not to the newest row: the gap stays.
      await uow.run((tx) => audit.append(tx, events(1, 'corp:after')[0]));
      const [after] = await log.list({ actor: 'corp:after', limit: 1 });
      expect(after).toMatchObject({ seq: 11, prevHash: intact.head });
      await expect(log.verify()).resolves.toMatchObject({
        ok: false,
        events: 7,
        brokenAt: 8,
        reason: 'missing',
      });
    }));

  it('reports a head record that does not match its event, or that is gone', () =>
    withDatabase(kind, async (dataSource, uow, { audit, ...log }) => {
      await uow.run((tx) => audit.appendMany(tx, events(5)));
      await log.integrator.catchUp();
      await dataSource.query(`UPDATE audit_head SET hash = ${p(1)}`, ['f'.repeat(64)]);
      await expect(log.verify()).resolves.toMatchObject({
        ok: false,
        brokenAt: 5,
        reason: 'head_mismatch',
      });
      await dataSource.query('DELETE FROM audit_head');
      // Read before the next integration, which writes the record again.
      await expect(audit.verify(dataSource.manager, log.identity)).resolves.toEqual({
        ok: false,
        events: 5,
        head: expect.any(String) as string,
        rootHash: expect.any(String) as string,
        checkpoint: { size: 5, rootHash: expect.any(String) as string },
        reason: 'head_missing',
      });
      // Appends go on from the newest event and write the record again.
      await uow.run((tx) => audit.append(tx, events(1)[0]));
      await expect(log.verify()).resolves.toMatchObject({
        ok: true,
        events: 6,
      });
    }));

  it('starts an upgraded install from its newest event (or the genesis hash when empty)', () =>
    withDatabase(kind, async (dataSource, uow, { audit, ...log }) => {
      const toBeforeHead = async () => {
        const runner = dataSource.createQueryRunner();
        while (await runner.hasTable('audit_head')) await dataSource.undoLastMigration();
        await runner.release();
      };
      await toBeforeHead();
      await dataSource.runMigrations({ transaction: 'each' });
      expect(await recordedHead(dataSource)).toEqual({
        id: 1,
        seq: 0,
        hash: GENESIS_HASH,
        treeSize: 0,
      });

      await uow.run((tx) => audit.appendMany(tx, events(4)));
      const { head } = await log.verify();
      await toBeforeHead();
      await dataSource.runMigrations({ transaction: 'each' });
      // The tree starts empty; the integrator adds the 4 events to it before any new one.
      expect(await recordedHead(dataSource)).toEqual({ id: 1, seq: 4, hash: head, treeSize: 0 });
      await expect(log.verify()).resolves.toMatchObject({
        ok: true,
        events: 4,
        head,
      });
    }));
});
