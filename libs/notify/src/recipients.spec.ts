import type { PolicyContext, PolicyDefinition } from '#domain';
import { IdentityGraph } from '#domain';
import { testRole } from '../../domain/src/testing/roles.js';
import { planNotifications } from './outbox-plan.js';
import {
  approversToNotify,
  idempotencyKey,
  outcomeAudience,
  slackUsersByPrincipal,
} from './recipients.js';

const role = testRole({ approvers: { groups: ['sre-leads'], principals: ['corp:carol'] } });
const graph = IdentityGraph.build(
  { 'corp:alice-bot': 'corp:alice', 'corp:bob-bot': 'corp:bob' },
  [['corp:frank', 'corp:frank.alt']],
  { delegations: { 'corp:agent': ['corp:dave'] } },
);
const context = (separation: PolicyDefinition['separation']): PolicyContext => ({
  policy: { separation, admins: { groups: ['security'] }, roles: [role] },
  graph,
});
const lead = (id: string) => ({ id, groups: ['sre-leads'] });

describe('approversToNotify', () => {
  // [case, request, candidates, expected] under both separation modes: people, not identifiers.
  const cases: [string, { requester: string; recipient: string }, string[], string[]][] = [
    [
      'eligible leads and a named principal',
      { requester: 'corp:alice', recipient: 'corp:alice' },
      ['corp:bob', 'corp:carol', 'corp:erin'],
      ['corp:bob', 'corp:carol', 'corp:erin'],
    ],
    [
      'never the requester',
      { requester: 'corp:bob', recipient: 'corp:bob' },
      ['corp:bob', 'corp:erin'],
      ['corp:erin'],
    ],
    [
      'never the recipient',
      { requester: 'corp:alice', recipient: 'corp:erin' },
      ['corp:erin', 'corp:bob'],
      ['corp:bob'],
    ],
    [
      'never an alias of the requester',
      { requester: 'corp:frank.alt', recipient: 'corp:frank.alt' },
      ['corp:frank', 'corp:erin'],
      ['corp:erin'],
    ],
    [
      'never the owner of the requesting bot',
      { requester: 'corp:bob-bot', recipient: 'corp:bob-bot' },
      ['corp:bob', 'corp:erin'],
      ['corp:erin'],
    ],
    [
      'never who delegated to the requesting agent',
      { requester: 'corp:agent', recipient: 'corp:dave' },
      ['corp:dave', 'corp:erin'],
      ['corp:erin'],
    ],
    [
      'never a non-human',
      { requester: 'corp:alice', recipient: 'corp:alice' },
      ['corp:bob-bot', 'corp:erin'],
      ['corp:erin'],
    ],
  ];
  for (const separation of ['strict', 'identity'] as const) {
    it.each(cases)(`${separation}: %s`, (_what, request, ids, expected) => {
      expect(approversToNotify(context(separation), role, request, ids.map(lead))).toEqual(
        expected,
      );
    });
  }

  it('leaves out who is not an approver and who already decided', () => {
    const request = { requester: 'corp:alice', recipient: 'corp:alice' };
    const candidates = [lead('corp:bob'), { id: 'corp:mallory', groups: [] }, lead('corp:erin')];
    expect(approversToNotify(context('strict'), role, request, candidates, ['corp:bob'])).toEqual([
      'corp:erin',
    ]);
  });

  // A reminder goes to approvers still needed: DecideRequest refuses an alias of an earlier
  // approver under strict separation (checkNewApprover), so it is not asked again.
  it.each([
    ['strict', ['corp:erin']],
    ['identity', ['corp:erin', 'corp:frank.alt']],
  ] as const)('%s: an alias of who approved already is that person', (separation, expected) => {
    const request = { requester: 'corp:alice', recipient: 'corp:alice' };
    const candidates = [lead('corp:frank.alt'), lead('corp:erin')];
    expect(
      approversToNotify(context(separation), role, request, candidates, ['corp:frank']),
    ).toEqual(expected);
  });
});

describe('outcomeAudience and slackUsersByPrincipal', () => {
  it('names the requester, and a different recipient too', () => {
    expect(outcomeAudience({ requester: 'corp:a', recipient: 'corp:a' })).toEqual(['corp:a']);
    expect(outcomeAudience({ requester: 'corp:agent', recipient: 'corp:dave' })).toEqual([
      'corp:agent',
      'corp:dave',
    ]);
  });

  it('reads slack.users the other way', () => {
    const users = { 'T1/U2': 'corp:bob', 'T1/U1': 'corp:bob', 'T1/U3': 'corp:erin' };
    expect(slackUsersByPrincipal(users)).toEqual(
      new Map([
        ['corp:bob', ['T1/U1', 'T1/U2']],
        ['corp:erin', ['T1/U3']],
      ]),
    );
  });
});

describe('planNotifications', () => {
  const reach = (slack: string[], email: boolean) => ({ slack, email });
  const approvers = new Map([
    ['corp:erin', reach(['T1/U0ERIN'], true)],
    ['corp:carol', reach([], false)],
  ]);
  const audience = new Map([['corp:alice', reach(['T1/U0ALICE'], true)]]);
  const base = { channel: 'C1', approvers, approverDms: ['T1/U0ERIN'], audience };

  it('asks approvers at creation: the channel, a DM and an email each where reachable', () => {
    expect(planNotifications({ ...base, kind: 'created', approverDms: [] })).toEqual([
      { channel: 'slack-channel', audience: 'channel', recipient: 'C1' },
      { channel: 'slack-dm', audience: 'approver', recipient: 'T1/U0ERIN' },
      { channel: 'email', audience: 'approver', recipient: 'corp:erin' },
    ]);
  });

  it('updates approver DMs on later changes and tells the requester each outcome', () => {
    expect(planNotifications({ ...base, kind: 'denied' })).toEqual([
      { channel: 'slack-channel', audience: 'channel', recipient: 'C1' },
      { channel: 'slack-dm', audience: 'approver', recipient: 'T1/U0ERIN' },
      { channel: 'slack-dm', audience: 'requester', recipient: 'T1/U0ALICE' },
      { channel: 'email', audience: 'requester', recipient: 'corp:alice' },
    ]);
    expect(planNotifications({ ...base, kind: 'approval_recorded' })).toHaveLength(2);
    expect(planNotifications({ ...base, kind: 'cancelled', channel: undefined })).toEqual([
      { channel: 'slack-dm', audience: 'approver', recipient: 'T1/U0ERIN' },
    ]);
  });

  it('derives one key per notification: the same change and recipient give the same key', () => {
    const one = {
      requestId: 'r1',
      kind: 'created',
      actor: 'corp:alice',
      channel: 'email',
      audience: 'approver',
      recipient: 'corp:erin',
    };
    expect(idempotencyKey(one)).toBe(idempotencyKey({ ...one }));
    expect(idempotencyKey(one)).toMatch(/^[0-9a-f]{64}$/);
    for (const change of [
      { recipient: 'corp:bob' },
      { actor: 'corp:bob' },
      { grantId: 'g1' },
      { kind: 'denied' },
    ])
      expect(idempotencyKey({ ...one, ...change })).not.toBe(idempotencyKey(one));
  });
});
