import type { Decision } from './decision.js';
import { IdentityGraph } from './identity-graph.js';
import type { SeparationMode } from './policy.js';
import { checkApproverSeparation, checkRecipientSeparation } from './separation.js';

const ALICE = 'corp:alice';
const ALICE_PARTNER = 'partner:alice.smith';
const ALICE_BOT = 'corp:svc-deployer';
const ALICE_BOT2 = 'corp:svc-reporter';
const ALICE_SUB = 'corp:agent-sub'; // owned by ALICE_BOT
const BOB = 'corp:bob';
const BOB_BOT = 'corp:svc-bob';
const CAROL = 'corp:carol';
// One workload under two ids, owned by alice under one and by bob under the other.
const SHARED = 'corp:svc-shared';
const SHARED_SPIFFE = 'spiffe:svc-shared';

const graph = IdentityGraph.build(
  {
    [ALICE_BOT]: ALICE,
    [ALICE_BOT2]: ALICE,
    [ALICE_SUB]: ALICE_BOT,
    [BOB_BOT]: BOB,
    [SHARED]: ALICE,
    [SHARED_SPIFFE]: BOB,
  },
  [
    [ALICE, ALICE_PARTNER],
    [SHARED, SHARED_SPIFFE],
  ],
);

/** `null` for allowed, else the reason code; a refusal must also carry the SoD error code. */
function outcome(decision: Decision): string | null {
  if (decision.allowed) return null;
  expect(decision.code).toBe('separation_of_duties');
  expect(decision.rule).toBe(`separation.${decision.reason}`);
  return decision.reason;
}

describe('checkApproverSeparation', () => {
  it.each<[SeparationMode, string, string, string, string | null]>([
    // rule 1: the requester never approves its own request
    ['strict', ALICE, ALICE, ALICE, 'self_approval'],
    ['identity', ALICE, ALICE, ALICE, 'self_approval'],
    ['strict', ALICE, ALICE_BOT, ALICE, 'self_approval'],
    ['identity', ALICE, ALICE_BOT, ALICE, 'self_approval'],
    // rule 2: the recipient never approves a request it would receive
    ['strict', ALICE, ALICE_BOT, ALICE_BOT, 'approver_is_recipient'],
    ['identity', ALICE, ALICE_BOT, ALICE_BOT, 'approver_is_recipient'],
    // rule 4, strict: linked to the requester
    ['strict', ALICE, ALICE, ALICE_PARTNER, 'approver_linked'],
    ['strict', ALICE, ALICE, ALICE_BOT, 'approver_linked'], // alice's bot cannot approve alice's request
    ['strict', ALICE, ALICE, ALICE_SUB, 'approver_linked'],
    ['strict', ALICE_BOT, ALICE_BOT, ALICE, 'approver_linked'], // alice cannot approve her bot's
    ['strict', ALICE_BOT, ALICE_BOT, ALICE_PARTNER, 'approver_linked'],
    ['strict', ALICE_BOT, ALICE_BOT, ALICE_BOT2, 'approver_linked'], // shared owner
    ['strict', ALICE_SUB, ALICE_SUB, ALICE, 'approver_linked'], // chain of owners
    // rule 4, strict: linked to the recipient only
    ['strict', ALICE, ALICE_BOT, ALICE_BOT2, 'approver_linked'],
    ['strict', ALICE_BOT, ALICE_SUB, ALICE, 'approver_linked'],
    ['strict', ALICE, SHARED, BOB, 'approver_linked'], // bob co-owns the recipient, not alice
    ['strict', ALICE, SHARED, BOB_BOT, 'approver_linked'],
    ['strict', ALICE, SHARED, SHARED_SPIFFE, 'approver_linked'], // the recipient under another id
    // rule 4, identity: only the identities must differ
    ['identity', ALICE, ALICE, ALICE_PARTNER, null],
    ['identity', ALICE, ALICE, ALICE_BOT, null],
    ['identity', ALICE_BOT, ALICE_BOT, ALICE, null],
    ['identity', ALICE_BOT, ALICE_BOT, ALICE_BOT2, null],
    ['identity', ALICE, ALICE_BOT, ALICE_BOT2, null],
    ['identity', ALICE, SHARED, BOB, null],
    // unrelated approvers
    ['strict', ALICE, ALICE, BOB, null],
    ['strict', ALICE, ALICE_BOT, BOB, null],
    ['strict', ALICE, ALICE, BOB_BOT, null],
    ['strict', BOB, BOB_BOT, CAROL, null],
    ['identity', ALICE, ALICE, BOB, null],
  ])(
    '%s: requester %p, recipient %p, approver %p -> %p',
    (mode, requester, recipient, approver, expected) => {
      expect(
        outcome(checkApproverSeparation(mode, graph, { requester, recipient }, approver)),
      ).toBe(expected);
    },
  );

  it('allows with the rule name "separation"', () => {
    expect(
      checkApproverSeparation('strict', graph, { requester: ALICE, recipient: ALICE }, BOB),
    ).toEqual({ allowed: true, rule: 'separation' });
  });
});

describe('checkRecipientSeparation', () => {
  it.each<[SeparationMode, string, string[], string | null]>([
    // rule 3: the recipient approved the request
    ['strict', ALICE, [ALICE], 'recipient_is_approver'],
    ['identity', ALICE, [ALICE], 'recipient_is_approver'],
    ['strict', ALICE_BOT, [BOB, ALICE_BOT], 'recipient_is_approver'],
    ['identity', ALICE_BOT, [BOB, ALICE_BOT], 'recipient_is_approver'],
    // rule 4, strict: the recipient is linked to an approver
    ['strict', ALICE, [ALICE_PARTNER], 'approver_linked'],
    ['strict', ALICE_BOT, [ALICE], 'approver_linked'],
    ['strict', ALICE, [BOB, ALICE_BOT], 'approver_linked'],
    ['strict', ALICE_BOT, [ALICE_BOT2], 'approver_linked'],
    ['strict', ALICE_SUB, [ALICE_PARTNER], 'approver_linked'],
    ['strict', SHARED, [BOB], 'approver_linked'],
    ['strict', SHARED, [SHARED_SPIFFE], 'approver_linked'],
    // rule 4, identity: aliases and owners are different identities
    ['identity', ALICE, [ALICE_PARTNER], null],
    ['identity', ALICE_BOT, [ALICE], null],
    ['identity', ALICE_BOT, [ALICE_BOT2], null],
    // unrelated approvers
    ['strict', ALICE, [BOB], null],
    ['strict', ALICE, [BOB, CAROL, BOB_BOT], null],
    ['strict', ALICE, [], null],
    ['identity', ALICE, [BOB], null],
  ])('%s: recipient %p, approvers %p -> %p', (mode, recipient, approvers, expected) => {
    expect(outcome(checkRecipientSeparation(mode, graph, recipient, approvers))).toBe(expected);
  });
});
