import { FixedClock } from '#domain';
import type { UseCases } from '../../../test/support/use-cases.js';
import { person, startUseCases } from '../../../test/support/use-cases.js';
import { CreateRequest } from './create-request.js';
import { DecideRequest } from './decide-request.js';

const alice = person('alice', ['engineering']);
const bob = person('bob', ['sre-leads']);
const frank = person('frank', ['sre-leads']);
const frankAlt = person('frank.alt', ['sre-leads']);
const dave = person('dave', ['security', 'sre-leads']);

describe('DecideRequest', () => {
  const clock = new FixedClock('2026-03-01T09:00:00.000Z');
  let app: UseCases;
  let create: CreateRequest;
  let decide: DecideRequest;

  beforeAll(async () => {
    app = await startUseCases(clock);
    create = app.get(CreateRequest);
    decide = app.get(DecideRequest);
  });
  afterAll(() => app.close());

  const requestFor = (role: string) => create.execute(alice, { role, justification: 'INC-1' });

  it('records the approval and completes the request at the fixed clock', async () => {
    const { id } = await requestFor('prod-db-admin');
    clock.advance(60);

    const view = await decide.approve(bob, id, 'looks right');

    expect(view).toMatchObject({
      status: 'approved',
      decidedAt: '2026-03-01T09:01:00.000Z',
      approvals: [{ approver: 'corp:bob', comment: 'looks right' }],
    });
    const events = (await app.events(id)).map((event) => event.type);
    expect(events).toEqual(
      expect.arrayContaining(['approval.recorded', 'request.approved']) as unknown,
    );
  });

  it('refuses a second approver linked to the first (approver_linked)', async () => {
    const { id } = await requestFor('two-person');
    await decide.approve(frank, id);

    await expect(decide.approve(frankAlt, id)).rejects.toMatchObject({
      code: 'separation_of_duties',
      details: { reason: 'approver_linked' },
    });
    const refused = (await app.events(id)).find((event) => event.type === 'approval.refused');
    expect(refused?.data).toMatchObject({ reason: 'approver_linked' });
  });

  it('leaves a request approved by an admin alone pending', async () => {
    const { id } = await requestFor('prod-db-admin');

    const view = await decide.approve(dave, id);

    expect(view.status).toBe('pending');
    expect(view.approvals).toEqual([expect.objectContaining({ approver: 'corp:dave' })]);
  });
});
