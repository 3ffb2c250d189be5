import type { Decision } from './decision.js';
import { IdentityGraph } from './identity-graph.js';
import type { SeparationMode } from './policy.js';
import {
  checkApproverSeparation,
  checkNewApprover,
  checkRecipientSeparation,
  samePerson,
} from './separation.js';

const ALICE = 'corp:alice';
const ALICE_PARTNER = 'partner:alice.smith';
const ALICE_BOT = 'corp:svc-deployer';
const ALICE_BOT2 = 'corp:svc-reporter';
const ALICE_SUB = 'corp:agent-sub'; // owned by ALICE_BOT
const BOB = 'corp:bob';
const BOB_BOT = 'corp:svc-bob';
const CAROL = 'corp:carol';
const WORKLOAD = 'spiffe:spiffe://example.org/ns/ci/sa/deployer'; // no owner
const SERVICE_ACCOUNT = 'local:ci'; // no owner known (the graph was built without it)
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
    // rule 4, identity: only the identities of people must differ
    ['identity', ALICE, ALICE, ALICE_PARTNER, null],
    ['identity', ALICE_BOT, ALICE_BOT, ALICE, null],
    ['identity', ALICE, SHARED, BOB, null],
    // ...but ownership always counts for a non-human approver
    ['identity', ALICE, ALICE, ALICE_BOT, 'approver_linked'],
    ['identity', ALICE_BOT, ALICE_BOT, ALICE_BOT2, 'approver_linked'],
    ['identity', ALICE, ALICE_BOT, ALICE_BOT2, 'approver_linked'],
    // non-human principals never approve, even unlinked ones
    ['strict', ALICE, ALICE, BOB_BOT, 'approver_non_human'],
    ['identity', ALICE, ALICE, BOB_BOT, 'approver_non_human'],
    ['strict', ALICE, ALICE, WORKLOAD, 'approver_non_human'],
    ['strict', ALICE, ALICE, SERVICE_ACCOUNT, 'approver_non_human'],
    ['strict', ALICE, ALICE, SHARED_SPIFFE, 'approver_linked'],
    ['strict', CAROL, CAROL, SHARED, 'approver_non_human'], // owned through its alias
    // unrelated approvers
    ['strict', ALICE, ALICE, BOB, null],
    ['strict', ALICE, ALICE_BOT, BOB, null],
    ['strict', BOB, BOB_BOT, CAROL, null],
    ['identity', ALICE, ALICE, BOB, null],
  ])(
    '%s: requester %p, recipient %p, approver %p -> %p',
    (mode, requester, recipient, approver, expected) => {
      expect(
        outcome(
          checkApproverSeparation({ separation: mode }, graph, { requester, recipient }, approver),
        ),
      ).toBe(expected);
    },
  );

  it('allows with the rule name "separation"', () => {
    expect(
      checkApproverSeparation(
        { separation: 'strict' },
        graph,
        { requester: ALICE, recipient: ALICE },
        BOB,
      ),
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

describe('checkApproverSeparation with policy.approverBots', () => {
  // release-bot is owned by bob; the SPIFFE workload by carol; alice-sa (a service account) by
  // alice, and alice-agent through alice-sa.
  const RELEASE_BOT = 'corp:release-bot';
  const CAROL_WORKLOAD = 'spiffe:spiffe://example.org/release';
  const ALICE_SA = 'local:alice-sa';
  const ALICE_AGENT = 'corp:alice-agent';
  const bots = IdentityGraph.build({
    [RELEASE_BOT]: BOB,
    [CAROL_WORKLOAD]: CAROL,
    [ALICE_SA]: ALICE,
    [ALICE_AGENT]: ALICE_SA,
    [BOB_BOT]: BOB,
  });
  const approverBots = [RELEASE_BOT, CAROL_WORKLOAD, ALICE_AGENT];

  it.each<[SeparationMode, string, string, string, string | null]>([
    ['strict', ALICE, ALICE, RELEASE_BOT, null], // a named bot with no owner in common
    ['identity', ALICE, ALICE, RELEASE_BOT, null],
    ['strict', ALICE, ALICE, CAROL_WORKLOAD, null],
    ['strict', BOB, BOB, RELEASE_BOT, 'approver_linked'], // its owner's request
    ['identity', BOB, BOB, RELEASE_BOT, 'approver_linked'], // whatever the mode
    ['strict', BOB_BOT, BOB_BOT, RELEASE_BOT, 'approver_linked'], // a shared owner
    ['identity', ALICE, BOB_BOT, RELEASE_BOT, 'approver_linked'], // the recipient's owner
    ['strict', ALICE, ALICE, ALICE_AGENT, 'approver_linked'], // alice's through a service account
    ['identity', ALICE, ALICE, ALICE_AGENT, 'approver_linked'],
    ['strict', CAROL, CAROL, ALICE_AGENT, null],
    ['strict', CAROL, CAROL, BOB_BOT, 'approver_non_human'], // not named
    ['strict', CAROL, CAROL, ALICE_SA, 'approver_non_human'],
  ])(
    '%s: requester %p, recipient %p, approver %p -> %p',
    (separation, requester, recipient, approver, expected) => {
      expect(
        outcome(
          checkApproverSeparation(
            { separation, approverBots },
            bots,
            { requester, recipient },
            approver,
          ),
        ),
      ).toBe(expected);
    },
  );

  it('lets no bot approve when the list is absent', () => {
    const decision = checkApproverSeparation(
      { separation: 'strict' },
      bots,
      { requester: ALICE, recipient: ALICE },
      RELEASE_BOT,
    );
    expect(outcome(decision)).toBe('approver_non_human');
  });
});

describe('checkNewApprover (rule 5: one approval per person)', () => {
  const strict = { separation: 'strict' as const };
  const identity = { separation: 'identity' as const };
  it.each<[string, { separation: SeparationMode }, string[], string, string | null]>([
    ['no earlier approver', strict, [], ALICE, null],
    ['an unrelated earlier approver', strict, [BOB], ALICE, null],
    ['the same id again (a retry, the caller’s no-op)', strict, [ALICE], ALICE, null],
    ['an alias of an earlier approver', strict, [ALICE], ALICE_PARTNER, 'approver_linked'],
    ['the owner of an earlier (bot) approver', strict, [ALICE_BOT], ALICE, 'approver_linked'],
    ['a bot of an earlier approver', strict, [ALICE], ALICE_BOT, 'approver_linked'],
    [
      'a bot sharing an owner with an earlier bot',
      strict,
      [ALICE_BOT],
      ALICE_BOT2,
      'approver_linked',
    ],
    [
      'linked to the second of two earlier approvers',
      strict,
      [BOB, ALICE],
      ALICE_PARTNER,
      'approver_linked',
    ],
    ['aliases under identity separation', identity, [ALICE], ALICE_PARTNER, null],
    // a non-human identity stays linked to its owner in any mode, as for rule 4
    ['a bot of an earlier approver (identity)', identity, [ALICE], ALICE_BOT, 'approver_linked'],
  ])('%s -> %p', (_case, policy, earlier, approver, expected) => {
    expect(outcome(checkNewApprover(policy, graph, earlier, approver))).toBe(expected);
  });

  it('names the kind of link and not the other identity', () => {
    const decision = checkNewApprover({ separation: 'strict' }, graph, [ALICE], ALICE_PARTNER);
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.message).toBe(
      'the approver is linked to an earlier approver (aliases of one person)',
    );
    expect(decision.message).not.toContain(ALICE);
  });
});

describe('samePerson', () => {
  it.each<[SeparationMode, string, string, boolean]>([
    ['strict', ALICE, ALICE, true],
    ['strict', ALICE, ALICE_PARTNER, true],
    ['strict', ALICE, BOB, false],
    ['identity', ALICE, ALICE_PARTNER, false],
    ['identity', ALICE, ALICE_BOT, true],
  ])('%s: samePerson(%p, %p) is %p', (separation, a, b, expected) => {
    expect(samePerson({ separation }, graph, a, b)).toBe(expected);
  });
});
