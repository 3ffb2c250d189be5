import { ExpireRequests } from '#access';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

/**
 * An extension asked for a grant that then ends (revoked here, or expired) can never be redeemed:
 * the request-expiry sweep closes it (`grant_ended`), so approvers are no longer asked for it.
 */
describe.each(DATABASE_KINDS)('open extensions of ended grants on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer });
  });

  afterAll(async () => {
    await broker?.close();
    await issuer?.close();
  });

  async function grantWithExtension(approved: boolean) {
    const request = await createRequest(broker, 'alice', { role: 'quick', duration: '5m' });
    const bob = await as(broker, 'bob');
    await bob.post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(broker, 'alice');
    const minted = (await alice.post(`/v1/requests/${request.id}/credentials`).expect(201)).body;
    const extension = (
      await alice
        .post(`/v1/grants/${minted.grantId as string}/extend`, { duration: '5m' })
        .expect(201)
    ).body as { id: string };
    if (approved) await bob.post(`/v1/requests/${extension.id}/approve`).expect(200);
    return { grantId: minted.grantId as string, extensionId: extension.id, alice, bob };
  }

  it('expires a pending and an approved extension once their grants are revoked, and nothing else', async () => {
    const pending = await grantWithExtension(false);
    const approved = await grantWithExtension(true);
    const untouched = await grantWithExtension(false);
    for (const { alice, grantId } of [pending, approved]) {
      await alice.post(`/v1/grants/${grantId}/revoke`, { reason: 'done early' }).expect(200);
    }
    expect(await broker.app.get(ExpireRequests).sweep()).toBe(2);

    for (const { alice, extensionId } of [pending, approved]) {
      const view = await alice.get(`/v1/requests/${extensionId}`).expect(200);
      expect(view.body.status).toBe('expired');
      const events = await auditTrail(broker, { requestId: extensionId, type: 'request.expired' });
      expect(events.map((event) => event.data)).toEqual([
        expect.objectContaining({
          reason: 'grant_ended',
          from: extensionId === pending.extensionId ? 'pending' : 'approved',
        }),
      ]);
    }
    const open = await untouched.alice.get(`/v1/requests/${untouched.extensionId}`).expect(200);
    expect(open.body.status).toBe('pending');
    // Approving what was closed is refused as for any expired request; a second sweep finds none.
    const late = await pending.bob.post(`/v1/requests/${pending.extensionId}/approve`).expect(409);
    expect(late.body.reason).toBe('request_expired');
    expect(await broker.app.get(ExpireRequests).sweep()).toBe(0);
  });
});
