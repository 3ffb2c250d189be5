import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { demoConfigYaml, parseConfig } from '#config';
import type { ReadScope } from '#persistence';
import { AccessRequestRow, RequestRepository, SYSTEM_SCOPE, openDatabase } from '#persistence';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';

// A request is read, locked or not, only through the caller's scope: whoever may not see it finds
// nothing, exactly as for an id that does not exist, and the lock a state change takes still holds.
describe.each(DATABASE_KINDS)('RequestRepository.findVisible on %s', (kind) => {
  let database: FreshDatabase;
  let dataSource: DataSource;
  const requests = new RequestRepository();
  const request = Object.assign(new AccessRequestRow(), {
    id: randomUUID(),
    role: 'prod-db-admin',
    resource: 'postgres://prod/main',
    requester: 'corp:alice',
    recipient: 'corp:alice-bot',
    justification: null,
    durationSeconds: 900,
    status: 'pending' as const,
    approvalsRequired: 1,
    createdAt: new Date(),
    deadlineAt: null,
    decidedAt: null,
    grantId: null,
    intent: null,
    breakGlass: false,
    act: null,
    requesterGroups: null,
  });

  beforeAll(async () => {
    database = await freshDatabase(kind);
    const config = parseConfig(demoConfigYaml(), { DATABASE_URL: database.url }, { demo: true });
    dataSource = await openDatabase(config.database);
    await requests.insert(dataSource.manager, request);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const scope = (principalId: string, approverRoles: string[] = [], admin = false): ReadScope => ({
    principalId,
    admin,
    approverRoles,
  });

  it.each<[string, boolean, ReadScope]>([
    ['the requester', true, scope('corp:alice')],
    ['the recipient', true, scope('corp:alice-bot')],
    ['an approver of the role', true, scope('corp:bob', ['staging', 'prod-db-admin'])],
    ['an admin', true, scope('corp:dave', [], true)],
    ['the broker itself', true, SYSTEM_SCOPE],
    ['an approver of another role', false, scope('corp:bob', ['staging'])],
    ['anyone else', false, scope('corp:mallory')],
  ])('%s: found %p, with the lock or without', async (_case, found, viewer) => {
    const unlocked = await requests.findVisible(dataSource.manager, viewer, request.id);
    const locked = await dataSource.transaction((tx) =>
      requests.findVisible(tx, viewer, request.id, { lock: true }),
    );
    expect([unlocked?.id ?? null, locked?.id ?? null]).toEqual(
      found ? [request.id, request.id] : [null, null],
    );
    expect(await requests.findVisible(dataSource.manager, viewer, randomUUID())).toBeNull();
  });

  if (kind === 'postgres') {
    it('holds the row until commit: a second locked read waits for the first', async () => {
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const first = dataSource.transaction(async (tx) => {
        await requests.findVisible(tx, scope('corp:alice'), request.id, { lock: true });
        locked();
        await held;
        order.push('first commits');
      });
      await lockTaken;
      const second = dataSource.transaction(async (tx) => {
        await requests.findVisible(tx, SYSTEM_SCOPE, request.id, { lock: true });
        order.push('second reads');
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      order.push('released');
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['released', 'first commits', 'second reads']);
    });
  }
});
