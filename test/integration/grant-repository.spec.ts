import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import { GrantRepository, GrantRevocationRow, GrantRow, openDatabase } from '#persistence';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

// The revocations owed (grant_revocations) kept in step with the grants, and the claim's own
// hydration giving exactly what TypeORM reads.
describe.each(DATABASE_KINDS)('GrantRepository on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  const grants = new GrantRepository();

  beforeAll(async () => {
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const grant = (expiresAt: Date, extra: Partial<GrantRow> = {}): GrantRow =>
    Object.assign(new GrantRow(), {
      id: randomUUID(),
      requestId: randomUUID(),
      role: 'prod-db-admin',
      resource: 'postgres://prod/main',
      recipient: 'corp:alice',
      actions: ['read', 'write'],
      approvers: ['corp:bob', 'corp:carol'],
      status: 'active',
      issuedAt: new Date(expiresAt.getTime() - 60_000),
      expiresAt,
      endedAt: null,
      revokedReason: null,
      revokedBy: null,
      revocationFailures: 0,
      nextRevocationAt: null,
      kid: 'key-1',
      breakGlass: false,
      act: null,
      ...extra,
    });

  const owed = async () =>
    (await dataSource.manager.find(GrantRevocationRow, { order: { dueAt: 'ASC' } })).map((row) => [
      row.grantId,
      row.dueAt.getTime(),
    ]);

  it('owes a revocation for each grant inserted, at its expiry, and claims them in that order', async () => {
    const now = new Date();
    const late = grant(new Date(now.getTime() - 1000), { breakGlass: true, act: 'corp:agent' });
    const early = grant(new Date(now.getTime() - 5000));
    const future = grant(new Date(now.getTime() + 60_000));
    await grants.insert(dataSource.manager, [late, early, future]);
    expect(await owed()).toEqual([
      [early.id, early.expiresAt.getTime()],
      [late.id, late.expiresAt.getTime()],
      [future.id, future.expiresAt.getTime()],
    ]);

    await dataSource.transaction(async (tx) => {
      const claimed = await grants.claimDue(tx, now, 10);
      expect(claimed.map((row) => row.id)).toEqual([early.id, late.id]);
      // The claim's hydration gives what TypeORM itself reads, types included.
      for (const row of claimed) {
        expect(row).toBeInstanceOf(GrantRow);
        expect(row).toEqual(await tx.findOneByOrFail(GrantRow, { id: row.id }));
      }
      expect(claimed[1]).toMatchObject({
        breakGlass: true,
        act: 'corp:agent',
        actions: ['read', 'write'],
      });
      expect(claimed[1].expiresAt).toEqual(late.expiresAt);
      expect(
        await grants.endMany(tx, [early.id, late.id], {
          status: 'expired',
          endedAt: now,
          revokedBy: 'system',
        }),
      ).toBe(2);
    });
    expect(await owed()).toEqual([[future.id, future.expiresAt.getTime()]]);
    expect(await dataSource.manager.findOneByOrFail(GrantRow, { id: late.id })).toMatchObject({
      status: 'expired',
      endedAt: now,
      revokedBy: 'system',
    });
  });

  it('moves a failed revocation to its next attempt and ends a grant only once', async () => {
    const now = new Date();
    const failing = grant(new Date(now.getTime() - 1000));
    await grants.insert(dataSource.manager, failing);
    const retryAt = new Date(now.getTime() + 4000);
    await dataSource.transaction(async (tx) => {
      const [claimed] = await grants.claimDue(tx, now, 10);
      expect(claimed.id).toBe(failing.id);
      await grants.recordRevocationFailure(tx, failing.id, 1, retryAt);
    });
    await dataSource.transaction(async (tx) => {
      expect(await grants.claimDue(tx, now, 10)).toEqual([]);
      const [retried] = await grants.claimDue(tx, retryAt, 10);
      expect(retried).toMatchObject({
        id: failing.id,
        revocationFailures: 1,
        nextRevocationAt: retryAt,
      });
      expect(await grants.countOverdue(tx, now)).toBe(1);
      expect(
        await grants.owedBuckets(tx, now, new Date(retryAt.getTime() + 1000), 50),
      ).toContainEqual(Math.ceil(retryAt.getTime() / 50) * 50);
      expect(
        await grants.endMany(tx, [failing.id], {
          status: 'revoked',
          endedAt: retryAt,
          revokedBy: 'corp:dave',
        }),
      ).toBe(1);
      expect(
        await grants.endMany(tx, [failing.id], {
          status: 'expired',
          endedAt: retryAt,
          revokedBy: 'system',
        }),
      ).toBe(0);
    });
    expect((await owed()).map(([id]) => id)).not.toContain(failing.id);
    expect(await grants.countOverdue(dataSource.manager, now)).toBe(0);
  });

  it('buckets the revocations owed in (from, to] by the end of their 50 ms bucket, in the database', async () => {
    // Ten days ahead, a multiple of 50: clear of the other tests' grants.
    const base = Math.ceil((Date.now() + 10 * 86_400_000) / 50) * 50;
    const at = (offset: number) => grant(new Date(base + offset));
    await grants.insert(dataSource.manager, [
      at(0), // at `from`: excluded
      at(1),
      at(49),
      at(50), // a bucket's end belongs to that bucket
      at(51),
      at(99),
      at(150), // at `to`: included
      at(151), // beyond `to`
    ]);
    expect(
      await grants.owedBuckets(dataSource.manager, new Date(base), new Date(base + 150), 50),
    ).toEqual([base + 50, base + 100, base + 150]);
    expect(
      await grants.owedBuckets(
        dataSource.manager,
        new Date(base + 150),
        new Date(base + 10_000),
        50,
      ),
    ).toEqual([base + 200]);
  });

  it('lists a credential revoked before its expiry until that expiry, and no other', async () => {
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    const [early, expiring, late] = [
      grant(later),
      grant(later),
      grant(new Date(now.getTime() - 1)),
    ];
    await grants.insert(dataSource.manager, [early, expiring, late]);
    await dataSource.transaction(async (tx) => {
      const ending = { endedAt: now, revokedBy: 'corp:dave' };
      await grants.endMany(tx, [early.id, late.id], { status: 'revoked', ...ending });
      await grants.endMany(tx, [expiring.id], { status: 'expired', ...ending });
      // Ending again changes nothing and lists nothing twice.
      await grants.endMany(tx, [early.id], { status: 'revoked', ...ending });
    });
    expect(await grants.revokedUnexpired(dataSource.manager, now)).toEqual([early.id]);
    expect(await grants.purgeExpiredRevocations(dataSource.manager, now)).toBe(0);
    expect(await grants.revokedUnexpired(dataSource.manager, later)).toEqual([]);
    expect(await grants.purgeExpiredRevocations(dataSource.manager, later)).toBe(1);
    expect(await grants.revokedUnexpired(dataSource.manager, now)).toEqual([]);
  });

  it('pages newest first by (issued, id) through ties at one instant, each grant once', async () => {
    // Its own recipient, so the other tests' grants stay out of the pages.
    const recipient = `corp:pager-${randomUUID()}`;
    const issuedAt = new Date(Date.now() - 3_600_000);
    const tied = Array.from({ length: 5 }, () =>
      grant(new Date(Date.now() + 60_000), { recipient, issuedAt }),
    );
    const newer = grant(new Date(Date.now() + 60_000), {
      recipient,
      issuedAt: new Date(issuedAt.getTime() + 1),
    });
    await grants.insert(dataSource.manager, [...tied, newer]);
    const scope = { admin: false, principalId: recipient, approverRoles: [] };
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await grants.list(dataSource.manager, scope, {
        now: new Date(),
        limit: 2,
        cursor,
      });
      seen.push(...page.items.map((row) => row.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([
      newer.id,
      ...tied
        .map((row) => row.id)
        .sort()
        .reverse(),
    ]);
  });
});
