import type { PolicyContext } from './access-rules.js';
import { IdentityGraph } from './identity-graph.js';
import type { RoleDefinition } from './policy.js';
import type { OpenRequestUnderReview } from './policy-change.js';
import { checkStillAllowed } from './policy-change.js';
import { testRole } from './testing/roles.js';

const role = testRole({ actions: ['db:read', 'db:write'] });
const context: PolicyContext = {
  policy: { separation: 'strict', admins: { groups: ['security'] }, roles: [role] },
  graph: IdentityGraph.build({ 'corp:alice-bot': 'corp:alice' }, []),
};
const now = new Date('2026-06-01T12:00:00Z');
const pending: OpenRequestUnderReview = {
  status: 'pending',
  requester: 'corp:alice',
  recipient: 'corp:alice',
  approvedAt: now,
  durationSeconds: 1800,
  approvals: [],
  intent: null,
  act: null,
};
const check = (
  request: OpenRequestUnderReview,
  r: RoleDefinition | null = role,
  groups: string[] | null = ['engineering'],
  delegators: string[] = [],
) => checkStillAllowed(context, r ?? undefined, request, groups, delegators, now);

describe('checkStillAllowed after a policy reload', () => {
  it('keeps a request the new policy still allows', () => {
    expect(check(pending)).toMatchObject({ allowed: true });
    expect(check(pending, role, null)).toMatchObject({ allowed: true });
  });

  it.each<[string, OpenRequestUnderReview, RoleDefinition | null, string[] | null, string]>([
    ['the role is gone', pending, null, ['engineering'], 'role_removed'],
    ['the requester left the requesters', pending, role, ['marketing'], 'not_a_requester'],
    [
      'the duration is over the new maximum',
      pending,
      { ...role, maxDuration: 900 },
      ['engineering'],
      'duration_exceeds_max',
    ],
    [
      'the intent names an action the role lost',
      { ...pending, intent: { actions: ['db:write'], resource: role.resource } },
      { ...role, actions: ['db:read'] },
      ['engineering'],
      'intent_outside_role',
    ],
    [
      'the recipient is no longer owned',
      { ...pending, recipient: 'corp:carol-bot' },
      role,
      ['engineering'],
      'recipient_not_owned',
    ],
    [
      'an approved request whose approver is no longer eligible',
      {
        ...pending,
        status: 'approved',
        approvals: [{ approver: 'corp:bob', groups: ['qa'], adminReach: false }],
      },
      role,
      ['engineering'],
      'approver_not_eligible',
    ],
  ])('expires a request when %s', (_case, request, r, groups, reason) => {
    expect(check(request, r, groups)).toMatchObject({ allowed: false, reason });
  });

  it('checks an agent’s delegation rather than ownership', () => {
    const delegated = { ...pending, requester: 'corp:alice-bot', act: 'corp:alice-bot' };
    expect(check(delegated, role, ['engineering'], ['corp:alice'])).toMatchObject({
      allowed: true,
    });
    expect(check(delegated, role, ['engineering'], [])).toMatchObject({
      allowed: false,
      reason: 'not_delegated',
    });
  });
});
