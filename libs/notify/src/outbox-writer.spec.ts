import { FixedClock } from '#domain';
import type { Tx } from '#persistence';
import {
  NotificationOutbox,
  NotificationRow,
  PrincipalGroupsRepository,
  UnitOfWork,
} from '#persistence';
import { In } from 'typeorm';
import type { UseCases } from '../../../test/support/use-cases.js';
import { person, startUseCases } from '../../../test/support/use-cases.js';
import { CreateRequest } from '../../access/src/create-request.js';
import { PolicyState } from '../../access/src/policy-state.js';
import { OutboxWriter } from './outbox-writer.js';

const alice = person('alice', ['engineering']);

describe('OutboxWriter', () => {
  const clock = new FixedClock('2026-03-01T09:00:00.000Z');
  let app: UseCases;
  let writer: OutboxWriter;
  let uow: UnitOfWork;
  const requestIds: string[] = [];

  beforeAll(async () => {
    app = await startUseCases(clock);
    uow = app.get(UnitOfWork);
    writer = new OutboxWriter(
      new NotificationOutbox(),
      app.get(PrincipalGroupsRepository),
      app.get(PolicyState),
      clock,
      { slack: { channel: 'C1', users: { 'T1/U1': 'corp:alice' } }, email: true },
      () => undefined,
    );
    const create = app.get(CreateRequest);
    for (let i = 0; i < 30; i += 1) {
      const { id } = await create.execute(alice, { role: 'prod-db-admin', justification: 'x' });
      requestIds.push(id);
    }
  });
  afterAll(() => app.close());

  /** Ends one grant of each request in one transaction; the statements its notifications ran. */
  async function endGrants(ids: readonly string[]): Promise<number> {
    let statements = 0;
    await uow.run((tx: Tx) => {
      const runner = tx.queryRunner!;
      const query = runner.query.bind(runner);
      // Counted from here: the writer's reads and inserts before commit (and the commit).
      runner.query = ((...args: Parameters<typeof query>) => {
        statements += 1;
        return query(...args);
      }) as typeof runner.query;
      writer.grantsEnded(tx, {
        grants: ids.map((requestId) => ({
          id: `g-${requestId.slice(0, 30)}`,
          requestId,
          recipient: alice.id,
          role: 'prod-db-admin',
        })),
        status: 'expired',
        actor: 'system',
      });
      return Promise.resolve();
    });
    return statements;
  }

  it('reads once for a batch of ended grants, however many it holds', async () => {
    const few = await endGrants(requestIds.slice(0, 2));
    const many = await endGrants(requestIds.slice(2));

    // An expiry batch ends thousands of grants in one transaction, holding their locks.
    expect(few).toBeGreaterThan(0);
    expect(many).toBe(few);
    const rows = await uow.read((db) =>
      db.find(NotificationRow, { where: { requestId: In(requestIds) } }),
    );
    // Each ended grant: the channel message and alice's DM (her email is unknown, so none).
    expect(rows).toHaveLength(2 * requestIds.length);
    expect(new Set(rows.map((row) => `${row.channel}:${row.recipient}`))).toEqual(
      new Set(['slack-channel:C1', 'slack-dm:T1/U1']),
    );
  });
});
