import { setTimeout as sleep } from 'node:timers/promises';
import type { ExtendContext } from '#access';
import { JwtProvider } from '#access';
import type { GrantRow } from '#persistence';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

/** A jwt provider whose extend answers after `delayMs` (an undo at once), recording each call. */
class SlowExtender extends JwtProvider {
  delayMs = 0;
  readonly calls: { expiresAt: string; undo: boolean }[] = [];

  override async extend(grant: GrantRow, context: ExtendContext) {
    this.calls.push({ expiresAt: grant.expiresAt.toISOString(), undo: context.undo === true });
    if (!context.undo) await sleep(this.delayMs);
    return super.extend(grant, context);
  }
}

// The grant's end passes while the target is extending it: the database refuses to move an end
// that has passed, and the end moved at the target is moved back (fail closed).
describe.each(DATABASE_KINDS)('an extension the target outlasts, on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  const provider = new SlowExtender();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, providers: [provider] });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  it('is refused, moved back at the target, and the grant ends at its first end', async () => {
    const request = await createRequest(broker, 'alice', { role: 'quick', duration: '2s' });
    const bob = await as(broker, 'bob');
    await bob.post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(broker, 'alice');
    const minted = (await alice.post(`/v1/requests/${request.id}/credentials`).expect(201))
      .body as { grantId: string; expiresAt: string };
    const created = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '5m' })
      .expect(201);
    await bob.post(`/v1/requests/${created.body.id}/approve`).expect(200);

    // Long enough that the first end passes while the grant's row is held.
    provider.delayMs = Date.parse(minted.expiresAt) - Date.now() + 500;
    const refused = await alice.post(`/v1/requests/${created.body.id}/credentials`).expect(409);
    expect(refused.body).toMatchObject({
      error: 'invalid_state',
      reason: 'grant_not_active',
      message: 'the grant ended while it was being extended',
    });
    const newEnd = new Date(Date.parse(minted.expiresAt) + 300_000).toISOString();
    await eventually(() => (provider.calls.length === 2 ? true : undefined), 2000);
    expect(provider.calls).toEqual([
      { expiresAt: newEnd, undo: false },
      { expiresAt: minted.expiresAt, undo: true },
    ]);

    const ended = await eventually(async () => {
      const view = await alice.get(`/v1/grants/${minted.grantId}`).expect(200);
      const body = view.body as { status: string; expiresAt: string };
      return body.status === 'active' ? undefined : body;
    }, 5000);
    expect(ended).toMatchObject({ status: 'expired', expiresAt: minted.expiresAt });
    // It can never be redeemed now: it ends with the grant (docs/api.md "Extending a grant").
    const extension = await alice.get(`/v1/requests/${created.body.id}`).expect(200);
    expect(extension.body.status).toBe('expired');
  });
});
