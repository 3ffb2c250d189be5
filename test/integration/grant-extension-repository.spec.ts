import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import type { RequestStatus } from '#domain';
import {
  AccessRequestRow,
  GrantRepository,
  GrantRevocationRow,
  GrantRow,
  RequestRepository,
  SYSTEM_SCOPE,
  openDatabase,
} from '#persistence';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

// An extension moves a grant's end and its owed revocation together, only while the grant is live
// and still ends where the caller saw it; one extension of a grant is open at a time.
describe.each(DATABASE_KINDS)('grant extension storage on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  const grants = new GrantRepository();
  const requests = new RequestRepository();

  beforeAll(async () => {
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const now = new Date();
  const inMinutes = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

  async function liveGrant(expiresAt = inMinutes(10)): Promise<GrantRow> {
    const grant = Object.assign(new GrantRow(), {
      id: randomUUID(),
      requestId: randomUUID(),
      role: 'prod-db-admin',
      resource: 'postgres://prod/main',
      recipient: 'corp:alice',
      actions: ['read'],
      approvers: ['corp:bob'],
      status: 'active',
      issuedAt: inMinutes(-5),
      expiresAt,
      endedAt: null,
      revokedReason: null,
      revokedBy: null,
      revocationFailures: 0,
      nextRevocationAt: null,
      kid: 'key-1',
      breakGlass: false,
      act: null,
    });
    await grants.insert(dataSource.manager, grant);
    return grant;
  }

  const stored = async (id: string) => ({
    grant: await dataSource.manager.findOneByOrFail(GrantRow, { id }),
    owed: await dataSource.manager.findOneBy(GrantRevocationRow, { grantId: id }),
  });

  it('moves the end, the key and the owed revocation together', async () => {
    const grant = await liveGrant();
    const to = inMinutes(40);
    const moved = await grants.extend(dataSource.manager, grant.id, {
      from: grant.expiresAt,
      to,
      kid: 'key-2',
      now,
    });
    expect(moved).toBe(true);
    const after = await stored(grant.id);
    expect(after.grant).toMatchObject({ status: 'active', expiresAt: to, kid: 'key-2' });
    expect(after.owed).toMatchObject({ dueAt: to, expiresAt: to });
  });

  it.each<[string, (grant: GrantRow) => Promise<{ from: Date; now: Date }>]>([
    [
      'a grant revoked meanwhile',
      async (grant) => {
        await grants.endMany(dataSource.manager, [grant.id], { status: 'revoked', endedAt: now });
        return { from: grant.expiresAt, now };
      },
    ],
    [
      'a grant whose end another extension already moved',
      async (grant) => {
        const other = { from: grant.expiresAt, to: inMinutes(20), kid: 'key-1', now };
        expect(await grants.extend(dataSource.manager, grant.id, other)).toBe(true);
        return { from: grant.expiresAt, now };
      },
    ],
    [
      'a grant past its end, not yet swept',
      (grant) => Promise.resolve({ from: grant.expiresAt, now: inMinutes(11) }),
    ],
    [
      'a grant at its end instant',
      (grant) => Promise.resolve({ from: grant.expiresAt, now: grant.expiresAt }),
    ],
  ])('leaves %s as it is', async (_case, race) => {
    const grant = await liveGrant();
    const { from, now: at } = await race(grant);
    const before = await stored(grant.id);
    const moved = await grants.extend(dataSource.manager, grant.id, {
      from,
      to: inMinutes(60),
      kid: 'key-9',
      now: at,
    });
    expect(moved).toBe(false);
    expect(await stored(grant.id)).toEqual(before);
  });

  const extension = (grantId: string, status: RequestStatus) =>
    Object.assign(new AccessRequestRow(), {
      id: randomUUID(),
      role: 'prod-db-admin',
      resource: 'postgres://prod/main',
      requester: 'corp:alice',
      recipient: 'corp:alice',
      justification: null,
      durationSeconds: 600,
      status,
      approvalsRequired: 1,
      createdAt: new Date(),
      deadlineAt: null,
      decidedAt: status === 'pending' ? null : new Date(),
      grantId: status === 'issued' ? grantId : null,
      intent: null,
      breakGlass: false,
      act: null,
      requesterGroups: null,
      extendsGrantId: grantId,
    });

  it('keeps one open extension per grant, however many ended before', async () => {
    const grant = await liveGrant();
    const issued = extension(grant.id, 'issued');
    const denied = extension(grant.id, 'denied');
    const open = extension(grant.id, 'approved');
    for (const row of [issued, denied, open]) await requests.insert(dataSource.manager, row);
    await expect(
      requests.insert(dataSource.manager, extension(grant.id, 'pending')),
    ).rejects.toThrow(/unique|duplicate/i);
    expect((await requests.openExtensionOf(dataSource.manager, grant.id))?.id).toBe(open.id);
    expect(
      (await requests.issuedExtensionsOf(dataSource.manager, grant.id)).map((row) => row.id),
    ).toEqual([issued.id]);

    // Once the open one is decided, another may be asked for.
    expect(
      await requests.transition(dataSource.manager, open.id, 'approved', { status: 'expired' }),
    ).toBe(true);
    await requests.insert(dataSource.manager, extension(grant.id, 'pending'));
    const read = await requests.findVisible(dataSource.manager, SYSTEM_SCOPE, issued.id);
    expect(read?.extendsGrantId).toBe(grant.id);
  });
});
