import type { MintCandidate, PolicyContext } from './access-rules.js';
import {
  canSeeRequest,
  checkApprover,
  checkMint,
  rolesApprovableBy,
  rolesEscalatedTo,
} from './access-rules.js';
import { IdentityGraph } from './identity-graph.js';
import type { PolicyDefinition, SeparationMode } from './policy.js';
import { testRole } from './testing/roles.js';

// A role escalating to the CTO by name and to security-leads: alice asks; alice.alt is alice.
const ALICE = 'corp:alice';
const ALICE_ALT = 'corp:alice.alt';
const CTO = 'corp:cto';
const LEAD = 'corp:lead'; // in security-leads
const BOB = 'corp:bob'; // an ordinary approver (sre-leads)
const role = testRole({
  escalation: { after: 3600, to: { principals: [CTO, ALICE_ALT], groups: ['security-leads'] } },
});
const policyFor = (separation: SeparationMode): PolicyDefinition => ({
  separation,
  admins: { groups: ['security'] },
  roles: [role],
});
const contextFor = (separation: SeparationMode): PolicyContext => ({
  policy: policyFor(separation),
  graph: IdentityGraph.build({}, [[ALICE, ALICE_ALT]]),
});
const people = {
  cto: { id: CTO, groups: [] },
  lead: { id: LEAD, groups: ['security-leads'] },
  bob: { id: BOB, groups: ['sre-leads'] },
  aliceAlt: { id: ALICE_ALT, groups: [] },
};
const pending = { requester: ALICE, recipient: ALICE, role: role.name };
const escalated = { ...pending, escalatedAt: new Date('2026-01-01T01:00:00Z') };

describe.each<SeparationMode>(['strict', 'identity'])('escalation (%s separation)', (mode) => {
  const context = contextFor(mode);

  it.each<[string, keyof typeof people, boolean, boolean]>([
    // who, before escalation, after
    ['the CTO, named', 'cto', false, true],
    ['a member of an escalation group', 'lead', false, true],
    ['an ordinary approver', 'bob', true, true],
    // Strict separation refuses anyone linked to a party; identity separation only the parties'
    // own ids, for escalated approvers exactly as for the role's own.
    ['the requester under another id, named in escalateTo', 'aliceAlt', false, mode === 'identity'],
  ])('%s may approve: before %s, after %s', (_, who, before, after) => {
    expect(checkApprover(context, role, pending, people[who]).allowed).toBe(before);
    expect(checkApprover(context, role, escalated, people[who]).allowed).toBe(after);
  });

  it('judges the requester’s alias as the role’s own approvers are judged', () => {
    const decision = checkApprover(context, role, escalated, people.aliceAlt);
    const asApprover = checkApprover(context, role, pending, {
      id: ALICE_ALT,
      groups: ['sre-leads'],
    });
    expect(decision).toEqual(asApprover);
    if (mode === 'strict') expect(decision).toMatchObject({ reason: 'approver_linked' });
  });

  it('counts an escalated approver’s approval at mint, and only once escalated', () => {
    const candidate = (escalatedAt: Date | null): MintCandidate => ({
      requester: ALICE,
      recipient: ALICE,
      escalatedAt,
      approvedAt: new Date('2026-01-01T01:30:00Z'),
      durationSeconds: 600,
      approvals: [{ approver: CTO, groups: [], adminReach: false }],
    });
    const now = new Date('2026-01-01T01:31:00Z');
    expect(checkMint(context, role, candidate(escalated.escalatedAt), now).allowed).toBe(true);
    expect(checkMint(context, role, candidate(null), now)).toMatchObject({
      reason: 'approver_not_eligible',
    });
  });

  it('lets an escalated approver see the escalated request only', () => {
    expect(canSeeRequest(context.policy, people.cto, pending)).toBe(false);
    expect(canSeeRequest(context.policy, people.cto, escalated)).toBe(true);
    // A view's ISO string counts as a row's Date does.
    const view = { ...pending, escalatedAt: '2026-01-01T01:00:00.000Z' };
    expect(canSeeRequest(context.policy, people.lead, view)).toBe(true);
  });

  it('scopes lists: the roles escalating to a principal, apart from those it approves', () => {
    expect(rolesEscalatedTo(context.policy, people.cto)).toEqual([role.name]);
    expect(rolesApprovableBy(context.policy, people.cto)).toEqual([]);
    expect(rolesEscalatedTo(context.policy, people.bob)).toEqual([]);
  });
});

it('a role without escalation adds no one, escalated or not', () => {
  const plain = testRole();
  const context: PolicyContext = {
    policy: { separation: 'strict', admins: {}, roles: [plain] },
    graph: IdentityGraph.build({}),
  };
  expect(checkApprover(context, plain, escalated, people.cto).allowed).toBe(false);
  expect(rolesEscalatedTo(context.policy, people.cto)).toEqual([]);
});
