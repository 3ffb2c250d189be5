import { ExpireRequests } from '#access';
import { FixedClock } from '#domain';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { approvedRequest, as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

/** The sweep that expires requests nobody touches again (requestTimeout 24h, redeemWithin 15m). */
describe.each(DATABASE_KINDS)('request expiry sweep on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, clock });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  const statusOf = async (id: string) => {
    const alice = await as(broker, 'alice');
    return ((await alice.get(`/v1/requests/${id}`).expect(200)).body as { status: string }).status;
  };

  it('expires pending requests past requestTimeout and approved ones past redeemWithin, once', async () => {
    const sweep = broker.app.get(ExpireRequests);
    const pending = await createRequest(broker, 'alice');
    const approved = await approvedRequest(broker);
    const fresh = await createRequest(broker, 'alice');

    clock.advance(15 * 60 - 1);
    expect(await sweep.sweep()).toBe(0);
    clock.advance(1); // exactly redeemWithin after approval: the deadline is inclusive
    expect(await sweep.sweep()).toBe(1);
    expect(await statusOf(approved.id)).toBe('expired');
    expect(await statusOf(pending.id)).toBe('pending');

    clock.advance(24 * 3600);
    expect(await sweep.sweep()).toBe(2);
    expect(await sweep.sweep()).toBe(0);
    expect(await statusOf(pending.id)).toBe('expired');
    expect(await statusOf(fresh.id)).toBe('expired');

    const dave = await as(broker, 'dave');
    const events = (await dave.get('/v1/audit?type=request.expired&limit=200').expect(200))
      .body as {
      items: { requestId: string; actor: string; data: { from: string } }[];
    };
    expect(events.items.map((e) => [e.requestId, e.data.from]).sort()).toEqual(
      [
        [approved.id, 'approved'],
        [pending.id, 'pending'],
        [fresh.id, 'pending'],
      ].sort(),
    );
    expect(events.items.every((e) => e.actor === 'system')).toBe(true);
  });

  it('runs concurrent sweeps without expiring anything twice', async () => {
    const sweep = broker.app.get(ExpireRequests);
    const ids = [];
    for (let i = 0; i < 6; i += 1) ids.push((await createRequest(broker, 'alice')).id);
    clock.advance(24 * 3600 + 1);
    const counts = await Promise.all([sweep.sweep(), sweep.sweep(), sweep.sweep()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    const dave = await as(broker, 'dave');
    const events = (await dave.get('/v1/audit?type=request.expired&limit=200').expect(200))
      .body as {
      items: { requestId: string }[];
    };
    for (const id of ids) expect(events.items.filter((e) => e.requestId === id)).toHaveLength(1);
  });
});
