import { FixedClock } from '#domain';
import type { UseCases } from '../../../test/support/use-cases.js';
import { person, startUseCases } from '../../../test/support/use-cases.js';
import { CreateRequest } from './create-request.js';
import { DecideRequest } from './decide-request.js';
import { MintCredential } from './mint-credential.js';
import { AccessQueries } from './queries.js';

const alice = person('alice', ['engineering']);
const bob = person('bob', ['sre-leads']);

describe('MintCredential', () => {
  const clock = new FixedClock('2026-03-01T09:00:00.000Z');
  let app: UseCases;
  let mint: MintCredential;

  beforeAll(async () => {
    app = await startUseCases(clock);
    mint = app.get(MintCredential);
  });
  afterAll(() => app.close());

  /** A prod-db-admin request of alice's for 15 minutes, approved by bob now. */
  async function approved(): Promise<string> {
    const { id } = await app
      .get(CreateRequest)
      .execute(alice, { role: 'prod-db-admin', justification: 'INC-2' });
    await app.get(DecideRequest).approve(bob, id);
    return id;
  }

  it('mints once, expiring after the duration at the fixed clock; a second mint is already_issued', async () => {
    const id = await approved();
    clock.advance(30);

    const minted = await mint.execute(alice, id);

    expect(minted.expiresAt).toBe('2026-03-01T09:15:30.000Z');
    expect(app.scheduled.at(-1)?.toISOString()).toBe(minted.expiresAt);
    await expect(mint.execute(alice, id)).rejects.toMatchObject({
      code: 'already_issued',
      details: { reason: 'already_issued' },
    });
    const types = (await app.events(id)).map((event) => event.type);
    expect(types.filter((type) => type === 'credential.issued')).toHaveLength(1);
    expect(types.at(-1)).toBe('credential.refused');
  });

  it('refuses once the redeem window has passed at the fixed clock, and expires the request', async () => {
    const id = await approved();
    clock.advance(15 * 60 + 1);

    await expect(mint.execute(alice, id)).rejects.toMatchObject({
      details: { reason: 'redeem_window_passed' },
    });
    const view = await app.get(AccessQueries).request(alice, id);
    expect(view.status).toBe('expired');
  });

  it('refuses the approver asking for the credential (recipient_is_approver)', async () => {
    const id = await approved();

    await expect(mint.execute(bob, id)).rejects.toMatchObject({
      code: 'separation_of_duties',
      details: { reason: 'recipient_is_approver' },
    });
  });
});
