import type {
  ApprovalAtMint,
  CountedApproval,
  MintCandidate,
  PolicyContext,
} from './access-rules.js';
import {
  adminReachOf,
  canSeeGrant,
  canSeeRequest,
  checkApprover,
  checkCanceller,
  checkMint,
  checkRecipient,
  checkRequester,
  isAdmin,
  isFullyApproved,
  rolesApprovableBy,
} from './access-rules.js';
import type { Decision } from './decision.js';
import { IdentityGraph } from './identity-graph.js';
import type { PolicyDefinition, RoleDefinition, SeparationMode } from './policy.js';
import type { Principal } from './principal.js';
import { testRole } from './testing/roles.js';

const ALICE = 'corp:alice';
const ALICE_PARTNER = 'partner:alice.smith';
const ALICE_BOT = 'corp:svc-deployer';
const ALICE_BOT2 = 'corp:svc-reporter';
const ALICE_SUB = 'corp:agent-sub'; // owned by ALICE_BOT
const BOB = 'corp:bob';
const BOB_BOT = 'corp:svc-bob';
const CAROL = 'corp:carol';
const DAVE = 'corp:dave'; // admin, not an approver
const ERIN = 'corp:erin'; // admin and approver

const graph = IdentityGraph.build(
  { [ALICE_BOT]: ALICE, [ALICE_BOT2]: ALICE, [ALICE_SUB]: ALICE_BOT, [BOB_BOT]: BOB },
  [[ALICE, ALICE_PARTNER]],
);

const role = testRole({
  actions: ['db:read', 'db:write'],
  approvers: { groups: ['sre-leads'], principals: [CAROL] },
  requireJustification: true,
});
const stagingRole: RoleDefinition = {
  ...role,
  name: 'staging-db',
  requesters: { principals: [BOB] },
  approvers: { principals: [BOB] },
};

const policyFor = (separation: SeparationMode): PolicyDefinition => ({
  separation,
  admins: { groups: ['security'] },
  roles: [role, stagingRole],
});
const policy = policyFor('strict');
const contextFor = (separation: SeparationMode): PolicyContext => ({
  policy: policyFor(separation),
  graph,
});

const p = (id: string, ...groups: string[]): Principal => ({ id, groups });

/** `null` for allowed, else `code/reason`. */
function outcome(decision: Decision): string | null {
  return decision.allowed ? null : `${decision.code}/${decision.reason}`;
}

describe('isAdmin', () => {
  it.each<[Principal, boolean]>([
    [p(DAVE, 'security'), true],
    [p(ERIN, 'sre-leads', 'security'), true],
    [p(BOB, 'sre-leads'), false],
    [p(ALICE), false],
    [p('corp:security'), false],
  ])('isAdmin(%p) is %p', (principal, expected) => {
    expect(isAdmin(policy, principal)).toBe(expected);
  });
});

describe('checkRequester', () => {
  it.each<[RoleDefinition, Principal, string | null]>([
    [role, p(ALICE, 'engineering'), null],
    [role, p(ALICE, 'engineering', 'other'), null],
    [role, p(ALICE), 'not_eligible/not_a_requester'],
    [role, p(BOB, 'sre-leads'), 'not_eligible/not_a_requester'],
    [role, p('corp:engineering'), 'not_eligible/not_a_requester'],
    [stagingRole, p(BOB), null],
    [stagingRole, p(ALICE, 'engineering'), 'not_eligible/not_a_requester'],
  ])('%#: %p may request: %p', (r, principal, expected) => {
    expect(outcome(checkRequester(r, principal))).toBe(expected);
  });
});

describe('checkCanceller', () => {
  const request = { requester: ALICE, recipient: ALICE_BOT };
  it.each<[string, Principal, string | null]>([
    ['the requester', p(ALICE), null],
    ['the recipient', p(ALICE_BOT), 'forbidden/not_requester'],
    ['an alias of the requester', p(ALICE_PARTNER), 'forbidden/not_requester'],
    ['an approver', p(CAROL, 'sre-leads'), 'forbidden/not_requester'],
    ['an admin', p(DAVE, 'security'), 'forbidden/not_requester'],
  ])('%s -> %p', (_case, principal, expected) => {
    expect(outcome(checkCanceller(request, principal))).toBe(expected);
  });
});

describe('checkRecipient', () => {
  it.each<[string, string, string, string | null]>([
    ['self', ALICE, ALICE, null],
    ['an owned NHI', ALICE, ALICE_BOT, null],
    ['a transitively owned NHI', ALICE, ALICE_SUB, null],
    ['an NHI owned by an alias of the requester', ALICE_PARTNER, ALICE_BOT, null],
    ['an NHI owned by the requesting NHI', ALICE_BOT, ALICE_SUB, null],
    ['someone else', ALICE, BOB, 'not_eligible/recipient_not_owned'],
    ['another owner’s NHI', ALICE, BOB_BOT, 'not_eligible/recipient_not_owned'],
    ['the requester’s alias', ALICE, ALICE_PARTNER, 'not_eligible/recipient_not_owned'],
    ['the requester’s owner', ALICE_BOT, ALICE, 'not_eligible/recipient_not_owned'],
    ['a sibling NHI', ALICE_BOT, ALICE_BOT2, 'not_eligible/recipient_not_owned'],
    ['an unknown principal', ALICE, 'corp:nobody', 'not_eligible/recipient_not_owned'],
  ])('%s: requester %p, recipient %p -> %p', (_case, requester, recipient, expected) => {
    expect(outcome(checkRecipient(graph, requester, recipient))).toBe(expected);
  });
});

describe('checkApprover', () => {
  it.each<[string, SeparationMode, string, string, Principal, string | null]>([
    ['an eligible approver (group)', 'strict', ALICE, ALICE, p(BOB, 'sre-leads'), null],
    ['an eligible approver (principal)', 'strict', ALICE, ALICE, p(CAROL), null],
    ['an eligible admin approver', 'strict', ALICE, ALICE, p(ERIN, 'sre-leads', 'security'), null],
    [
      'an admin who is not an approver',
      'strict',
      ALICE,
      ALICE,
      p(DAVE, 'security'),
      'not_eligible/not_an_approver',
    ],
    ['an unrelated non-approver', 'strict', ALICE, ALICE, p(BOB), 'not_eligible/not_an_approver'],
    // separation is checked before eligibility
    [
      'the requester, eligible',
      'strict',
      ALICE,
      ALICE,
      p(ALICE, 'sre-leads'),
      'separation_of_duties/self_approval',
    ],
    [
      'the requester, not eligible',
      'identity',
      ALICE,
      ALICE,
      p(ALICE),
      'separation_of_duties/self_approval',
    ],
    [
      'the recipient, eligible',
      'identity',
      ALICE,
      ALICE_BOT,
      p(ALICE_BOT, 'sre-leads'),
      'separation_of_duties/approver_is_recipient',
    ],
    [
      'the recipient, not eligible',
      'strict',
      ALICE,
      ALICE_BOT,
      p(ALICE_BOT),
      'separation_of_duties/approver_is_recipient',
    ],
    [
      'an alias of the requester, eligible',
      'strict',
      ALICE,
      ALICE,
      p(ALICE_PARTNER, 'sre-leads'),
      'separation_of_duties/approver_linked',
    ],
    [
      'the requester’s bot, not eligible',
      'strict',
      ALICE,
      ALICE,
      p(ALICE_BOT),
      'separation_of_duties/approver_linked',
    ],
    [
      'the owner of the requesting bot',
      'strict',
      ALICE_BOT,
      ALICE_BOT,
      p(ALICE, 'sre-leads'),
      'separation_of_duties/approver_linked',
    ],
    ['an alias under identity mode', 'identity', ALICE, ALICE, p(ALICE_PARTNER, 'sre-leads'), null],
    [
      'the owner under identity mode',
      'identity',
      ALICE_BOT,
      ALICE_BOT,
      p(ALICE, 'sre-leads'),
      null,
    ],
    [
      'an alias under identity mode, not eligible',
      'identity',
      ALICE,
      ALICE,
      p(ALICE_PARTNER),
      'not_eligible/not_an_approver',
    ],
  ])('%s (%s)', (_case, mode, requester, recipient, approver, expected) => {
    expect(outcome(checkApprover(contextFor(mode), role, { requester, recipient }, approver))).toBe(
      expected,
    );
  });

  it('names the deciding rule', () => {
    const context = contextFor('strict');
    const request = { requester: ALICE, recipient: ALICE };
    expect(checkApprover(context, role, request, p(BOB, 'sre-leads')).rule).toBe('approvers');
    expect(checkApprover(context, role, request, p(BOB)).rule).toBe('approvers');
    expect(checkApprover(context, role, request, p(ALICE)).rule).toBe('separation.self_approval');
  });
});

describe('isFullyApproved', () => {
  const user = (approver: string): CountedApproval => ({ approver, adminReach: false });
  const admin = (approver: string): CountedApproval => ({ approver, adminReach: true });

  it.each<[string, CountedApproval[], number, boolean]>([
    ['no approvals', [], 1, false],
    ['one of one', [user(BOB)], 1, true],
    ['one of two', [user(BOB)], 2, false],
    ['two distinct of two', [user(BOB), user(CAROL)], 2, true],
    ['three distinct of two', [user(BOB), user(CAROL), user(ERIN)], 2, true],
    ['two distinct of three', [user(BOB), user(CAROL)], 3, false],
    ['a duplicate counts once', [user(BOB), user(BOB)], 2, false],
    ['duplicates count once of three', [user(BOB), user(CAROL), user(BOB)], 3, false],
    ['a duplicate beside a distinct', [user(BOB), user(BOB), user(CAROL)], 2, true],
    // rule 6: admin approvals never complete a request on their own
    ['one admin of one', [admin(DAVE)], 1, false],
    ['two admins of one', [admin(DAVE), admin(ERIN)], 1, false],
    ['two admins of two', [admin(DAVE), admin(ERIN)], 2, false],
    ['the same admin twice of two', [admin(DAVE), admin(DAVE)], 2, false],
    ['an admin then a user, of one', [admin(DAVE), user(BOB)], 1, true],
    ['a user then an admin, of two', [user(BOB), admin(DAVE)], 2, true],
    ['an admin twice and a user, of two', [admin(DAVE), admin(DAVE), user(BOB)], 2, true],
    ['an admin twice and a user, of three', [admin(DAVE), admin(DAVE), user(BOB)], 3, false],
  ])('%s (required %p) -> %p', (_case, approvals, required, expected) => {
    expect(isFullyApproved(approvals, required)).toBe(expected);
  });

  // Rule 5 counts people: `samePersonAs` joins linked approvers, transitively (the safe count).
  const links = new Set(['a|a2', 'a2|a3', 'x|admin-x']);
  const samePerson = (a: string, b: string) =>
    a === b || links.has(`${a}|${b}`) || links.has(`${b}|${a}`);
  it.each<[string, CountedApproval[], number, boolean]>([
    ['two linked approvers of two', [user('a'), user('a2')], 2, false],
    ['two linked and one other, of two', [user('a'), user('a2'), user(BOB)], 2, true],
    ['a chain of links is one person', [user('a'), user('a3'), user('a2')], 2, false],
    [
      'a chain of links and one other, of three',
      [user('a'), user('a2'), user('a3'), user(BOB)],
      3,
      false,
    ],
    ['unlinked approvers of two', [user('a'), user(BOB)], 2, true],
    // a person with admin reach under one of its ids counts as an admin (rule 6)
    ['a person approving as user and as admin, of one', [user('x'), admin('admin-x')], 1, false],
    ['that person and a plain user, of two', [user('x'), admin('admin-x'), user(BOB)], 2, true],
  ])('people: %s (required %p) -> %p', (_case, approvals, required, expected) => {
    expect(isFullyApproved(approvals, required, samePerson)).toBe(expected);
  });
});

describe('adminReachOf', () => {
  const byPrincipal: PolicyDefinition = { ...policy, admins: { principals: [DAVE] } };
  it.each<[string, PolicyDefinition, Principal, boolean, string[] | undefined, string]>([
    ['admin by its groups', policy, p(DAVE, 'security'), true, undefined, 'admin'],
    [
      'admin by directory groups, token groups unknown',
      policy,
      p(DAVE, 'security'),
      false,
      undefined,
      'admin',
    ],
    ['no admin group, token groups known', policy, p(BOB, 'sre-leads'), true, undefined, 'none'],
    ['token groups unknown, last seen without admin', policy, p(BOB), false, ['sre-leads'], 'none'],
    ['token groups unknown, last seen with admin', policy, p(BOB), false, ['security'], 'admin'],
    ['token groups unknown, never seen', policy, p(BOB), false, undefined, 'unknown'],
    ['never seen, admins named by principal only', byPrincipal, p(BOB), false, undefined, 'none'],
    ['never seen, named admin', byPrincipal, p(DAVE), false, undefined, 'admin'],
  ])('%s -> %p', (_case, pol, principal, known, lastSeen, expected) => {
    expect(adminReachOf(pol, principal, known, lastSeen)).toBe(expected);
  });
});

describe('checkMint', () => {
  const approvedAt = new Date('2026-01-01T00:00:00.000Z');
  const at = (seconds: number): Date => new Date(approvedAt.getTime() + seconds * 1000);
  const approval = (approver: string, groups: string[], adminReach = false): ApprovalAtMint => ({
    approver,
    groups,
    adminReach,
  });
  const base: MintCandidate = {
    requester: ALICE,
    recipient: ALICE,
    approvedAt,
    durationSeconds: 900,
    approvals: [approval(BOB, ['sre-leads'])],
  };

  interface Row {
    mode?: SeparationMode;
    role?: Partial<RoleDefinition> | 'removed';
    request?: Partial<MintCandidate>;
    now?: number;
  }

  it.each<[string, Row, string | null]>([
    ['all fine', {}, null],
    ['removed role', { role: 'removed' }, 'not_eligible/role_removed'],
    [
      'removed role wins over everything else',
      { role: 'removed', now: 10_000, request: { durationSeconds: 99_999 } },
      'not_eligible/role_removed',
    ],
    // redeem window: inclusive deadline
    ['one millisecond before the redeem deadline', { now: 899.999 }, null],
    ['exactly at the redeem deadline', { now: 900 }, 'invalid_state/redeem_window_passed'],
    ['after the redeem deadline', { now: 901 }, 'invalid_state/redeem_window_passed'],
    [
      'a shortened redeem window',
      { role: { redeemWithin: 30 }, now: 60 },
      'invalid_state/redeem_window_passed',
    ],
    // maxDuration changed since the request
    ['duration at the max', { request: { durationSeconds: 3600 } }, null],
    [
      'duration over the max',
      { request: { durationSeconds: 3601 } },
      'not_eligible/duration_exceeds_max',
    ],
    [
      'duration over a lowered max',
      { role: { maxDuration: 600 } },
      'not_eligible/duration_exceeds_max',
    ],
    // approvers re-evaluated
    ['an approver listed by principal id', { request: { approvals: [approval(CAROL, [])] } }, null],
    [
      'an approver who left the approver group',
      { request: { approvals: [approval(BOB, [])] } },
      'not_eligible/approver_not_eligible',
    ],
    [
      'an approver group removed from the role',
      { role: { approvers: { groups: ['dba'] } } },
      'not_eligible/approver_not_eligible',
    ],
    [
      'more approvals now required',
      { role: { approvalsRequired: 2 } },
      'not_eligible/approver_not_eligible',
    ],
    [
      'two required, one no longer eligible',
      {
        role: { approvalsRequired: 2 },
        request: { approvals: [approval(BOB, ['sre-leads']), approval(ERIN, [])] },
      },
      'not_eligible/approver_not_eligible',
    ],
    [
      'two required, both eligible',
      {
        role: { approvalsRequired: 2 },
        request: { approvals: [approval(BOB, ['sre-leads']), approval(CAROL, [])] },
      },
      null,
    ],
    [
      'two required, the same approver twice',
      {
        role: { approvalsRequired: 2 },
        request: { approvals: [approval(BOB, ['sre-leads']), approval(BOB, ['sre-leads'])] },
      },
      'not_eligible/approver_not_eligible',
    ],
    [
      'only an admin approved',
      { request: { approvals: [approval(ERIN, ['sre-leads', 'security'], true)] } },
      'not_eligible/approver_not_eligible',
    ],
    [
      'an admin and a non-admin approved',
      {
        request: {
          approvals: [
            approval(ERIN, ['sre-leads', 'security'], true),
            approval(BOB, ['sre-leads']),
          ],
        },
      },
      null,
    ],
    [
      'an admin and a non-admin who is no longer eligible',
      {
        request: {
          approvals: [approval(ERIN, ['sre-leads', 'security'], true), approval(BOB, [])],
        },
      },
      'not_eligible/approver_not_eligible',
    ],
    [
      'the requester’s approval is not counted (identity mode)',
      {
        mode: 'identity',
        request: { recipient: ALICE_BOT, approvals: [approval(ALICE, ['sre-leads'])] },
      },
      'not_eligible/approver_not_eligible',
    ],
    // rule 3: the recipient is never an approver
    [
      'the recipient approved',
      { request: { recipient: ALICE_BOT, approvals: [approval(ALICE_BOT, ['sre-leads'])] } },
      'separation_of_duties/recipient_is_approver',
    ],
    [
      'the recipient is one of several approvers',
      {
        role: { approvalsRequired: 2 },
        request: {
          recipient: ALICE_BOT,
          approvals: [approval(BOB, ['sre-leads']), approval(ALICE_BOT, ['sre-leads'])],
        },
      },
      'separation_of_duties/recipient_is_approver',
    ],
    [
      'the recipient approved (identity mode)',
      {
        mode: 'identity',
        request: { recipient: ALICE_BOT, approvals: [approval(ALICE_BOT, ['sre-leads'])] },
      },
      'separation_of_duties/recipient_is_approver',
    ],
    // rule 4 at mint
    [
      'the recipient is linked to an approver (strict)',
      { request: { recipient: ALICE_BOT, approvals: [approval(ALICE_BOT2, ['sre-leads'])] } },
      'separation_of_duties/approver_linked',
    ],
    [
      'the recipient is an alias of an approver (strict)',
      {
        request: {
          requester: BOB,
          recipient: ALICE,
          approvals: [approval(ALICE_PARTNER, ['sre-leads'])],
        },
      },
      'separation_of_duties/approver_linked',
    ],
    [
      // A non-human approver never counts, whatever the mode, so only a person's approval would.
      'the recipient is linked to a non-human approver (identity)',
      {
        mode: 'identity',
        request: { recipient: ALICE_BOT, approvals: [approval(ALICE_BOT2, ['sre-leads'])] },
      },
      'not_eligible/approver_not_eligible',
    ],
    [
      'the recipient is linked to a human approver (identity)',
      {
        mode: 'identity',
        request: { recipient: ALICE_BOT, approvals: [approval(ALICE_PARTNER, ['sre-leads'])] },
      },
      null,
    ],
    [
      'an approver sharing an owner with requester and recipient (strict)',
      {
        request: {
          requester: ALICE_BOT,
          recipient: ALICE_SUB,
          approvals: [approval(ALICE_BOT2, ['sre-leads']), approval(BOB, ['sre-leads'])],
        },
      },
      'separation_of_duties/approver_linked',
    ],
    [
      'an approver for a bot recipient, unrelated (strict)',
      { request: { recipient: ALICE_BOT, approvals: [approval(BOB, ['sre-leads'])] } },
      null,
    ],
    // rule 5 at mint: linked approvers count once, with today's links
    [
      'two required, approved by two aliases of one person (strict)',
      {
        role: { approvalsRequired: 2 },
        request: {
          requester: BOB,
          recipient: BOB,
          approvals: [approval(ALICE, ['sre-leads']), approval(ALICE_PARTNER, ['sre-leads'])],
        },
      },
      'not_eligible/approver_not_eligible',
    ],
    [
      'two required, two aliases and a third person (strict)',
      {
        role: { approvalsRequired: 2 },
        request: {
          requester: BOB,
          recipient: BOB,
          approvals: [
            approval(ALICE, ['sre-leads']),
            approval(ALICE_PARTNER, ['sre-leads']),
            approval(CAROL, []),
          ],
        },
      },
      null,
    ],
    [
      'two required, two aliases of one person (identity mode)',
      {
        mode: 'identity',
        role: { approvalsRequired: 2 },
        request: {
          requester: BOB,
          recipient: BOB,
          approvals: [approval(ALICE, ['sre-leads']), approval(ALICE_PARTNER, ['sre-leads'])],
        },
      },
      null,
    ],
    // rule 6 at mint: admin reach under today's policy counts, even if not held at approval
    [
      'the only approver became an admin since',
      { request: { approvals: [approval(BOB, ['sre-leads', 'security'])] } },
      'not_eligible/approver_not_eligible',
    ],
  ])('%s -> %p', (_case, row, expected) => {
    const mintRole = row.role === 'removed' ? undefined : { ...role, ...row.role };
    const decision = checkMint(
      contextFor(row.mode ?? 'strict'),
      mintRole,
      { ...base, ...row.request },
      at(row.now ?? 60),
    );
    expect(outcome(decision)).toBe(expected);
  });

  it.each<[Row, string]>([
    [{}, 'mint'],
    [{ role: 'removed' }, 'mint.role'],
    [{ now: 900 }, 'mint.redeem_within'],
    [{ request: { durationSeconds: 3601 } }, 'mint.max_duration'],
    [{ request: { approvals: [approval(BOB, [])] } }, 'mint.approvers'],
    [
      { request: { recipient: BOB, requester: BOB, approvals: [approval(BOB, ['sre-leads'])] } },
      'separation.recipient_is_approver',
    ],
  ])('%#: names rule %p', (row, rule) => {
    const mintRole = row.role === 'removed' ? undefined : { ...role, ...row.role };
    expect(
      checkMint(contextFor('strict'), mintRole, { ...base, ...row.request }, at(row.now ?? 60))
        .rule,
    ).toBe(rule);
  });
});

describe('canSeeRequest', () => {
  const request = { role: role.name, requester: ALICE, recipient: ALICE_BOT };

  it.each<[string, Principal, { role: string; requester: string; recipient: string }, boolean]>([
    ['the requester', p(ALICE), request, true],
    ['the recipient', p(ALICE_BOT), request, true],
    ['an approver by group', p(BOB, 'sre-leads'), request, true],
    ['an approver by principal id', p(CAROL), request, true],
    ['an admin', p(DAVE, 'security'), request, true],
    ['an admin, for a removed role', p(DAVE, 'security'), { ...request, role: 'gone' }, true],
    ['an approver, for a removed role', p(BOB, 'sre-leads'), { ...request, role: 'gone' }, false],
    ['an approver of another role', p(CAROL), { ...request, role: stagingRole.name }, false],
    ['the approver of that role', p(BOB), { ...request, role: stagingRole.name }, true],
    ['a requester-group member', p('corp:frank', 'engineering'), request, false],
    ['an alias of the requester', p(ALICE_PARTNER), request, false],
    ['a sibling bot', p(ALICE_BOT2), request, false],
    ['a stranger', p('corp:mallory'), request, false],
  ])('%s -> %p', (_case, principal, req, expected) => {
    expect(canSeeRequest(policy, principal, req)).toBe(expected);
  });
});

describe('canSeeGrant', () => {
  it.each<[string, Principal, boolean]>([
    ['the recipient', p(ALICE_BOT), true],
    ['an admin', p(DAVE, 'security'), true],
    ['the recipient’s owner', p(ALICE), false],
    ['an approver', p(BOB, 'sre-leads'), false],
    ['a stranger', p('corp:mallory'), false],
  ])('%s -> %p', (_case, principal, expected) => {
    expect(canSeeGrant(policy, principal, { recipient: ALICE_BOT })).toBe(expected);
  });
});

describe('rolesApprovableBy', () => {
  it.each<[Principal, string[]]>([
    [p(BOB, 'sre-leads'), ['prod-db-admin', 'staging-db']],
    [p(BOB), ['staging-db']],
    [p(CAROL), ['prod-db-admin']],
    [p(ERIN, 'sre-leads', 'security'), ['prod-db-admin']],
    [p(DAVE, 'security'), []],
    [p(ALICE, 'engineering'), []],
  ])('%p -> %p', (principal, expected) => {
    expect(rolesApprovableBy(policy, principal)).toEqual(expected);
  });
});
