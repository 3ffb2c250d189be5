import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { approvedRequest, as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';
import { behindItsBack, tamperWithAuditLog } from '../support/tamper.js';

describe.each(DATABASE_KINDS)('GET /v1/audit/verify after a restart on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });

  beforeEach(async () => {
    database = await freshDatabase(kind);
  });

  afterEach(async () => {
    await database.drop();
  });

  afterAll(async () => {
    await issuer.close();
  });

  async function withBroker(work: (broker: TestBroker) => Promise<void>): Promise<void> {
    const broker = await startBroker({ kind, issuer, database });
    try {
      await work(broker);
    } finally {
      await broker.close();
    }
  }

  const verify = async (broker: TestBroker) =>
    (await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200)).body as {
      ok: boolean;
      events: number;
      head: string;
      brokenAt?: number;
      reason?: string;
    };

  it('is intact across a restart when nothing was removed', async () => {
    let before = { ok: false, events: 0, head: '' };
    await withBroker(async (broker) => {
      await approvedRequest(broker);
      before = await verify(broker);
      expect(before).toMatchObject({ ok: true, events: expect.any(Number) as number });
      expect(before.events).toBeGreaterThan(3);
    });
    await withBroker(async (broker) => {
      expect(await verify(broker)).toEqual(before);
    });
  });

  it('reports the newest events deleted while the broker was stopped, also after new events', async () => {
    let events = 0;
    await withBroker(async (broker) => {
      await approvedRequest(broker);
      await approvedRequest(broker);
      ({ events } = await verify(broker));
    });
    await behindItsBack(database, kind, (connection) =>
      tamperWithAuditLog(connection, `DELETE FROM audit_events WHERE seq > ${events - 3}`),
    );
    await withBroker(async (broker) => {
      expect(await verify(broker)).toMatchObject({
        ok: false,
        events: events - 3,
        brokenAt: events - 2,
        reason: 'truncated',
      });
      // New events link to the recorded head: the hole stays where it was.
      await createRequest(broker, 'alice');
      expect(await verify(broker)).toMatchObject({
        ok: false,
        events: events - 3,
        brokenAt: events - 2,
        reason: 'missing',
      });
    });
  });
});
