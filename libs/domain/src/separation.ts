import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import type { IdentityGraph, LinkKind } from './identity-graph.js';
import { LINK_WORDS } from './identity-graph.js';
import type { PolicyDefinition } from './policy.js';
import type { SeparationMode } from './policy.js';

/** The parties of a request that an approver must be distinct from. */
export interface Parties {
  readonly requester: string;
  readonly recipient: string;
}

const sod = (reason: string, message: string): Decision =>
  deny(`separation.${reason}`, 'separation_of_duties', reason, message);

/**
 * Separation of duties for one approver (docs/api.md §2 rules 1, 2 and 4), in the order a reader
 * would check them: the requester itself, the recipient itself, anyone linked to either, then
 * anyone who is not a person. Non-human principals never approve (docs/identity.md): whoever
 * controls one could approve through it. A bot named in `policy.approverBots` is the one
 * exception, and only when it shares no owner with the requester or the recipient, whatever the
 * separation mode.
 */
export function checkApproverSeparation(
  policy: Pick<PolicyDefinition, 'separation' | 'approverBots'>,
  graph: IdentityGraph,
  parties: Parties,
  approver: string,
): Decision {
  if (approver === parties.requester) {
    return sod('self_approval', 'the requester cannot approve its own request');
  }
  if (approver === parties.recipient) {
    return sod('approver_is_recipient', 'the recipient cannot approve a request it would receive');
  }
  const nonHuman = graph.isNonHuman(approver);
  if (policy.separation === 'strict' || nonHuman) {
    const link =
      graph.linkBetween(approver, parties.requester) ??
      graph.linkBetween(approver, parties.recipient);
    if (link) {
      return linkedRefusal(link, 'the approver is linked to the requester or the recipient');
    }
  }
  if (nonHuman && !(policy.approverBots ?? []).includes(approver)) {
    return sod('approver_non_human', 'a non-human principal cannot approve');
  }
  return allow('separation');
}

/**
 * Whether two approvers count as one person (rule 5): the same id, or, under strict separation
 * (or when either is non-human, as for rule 4), linked by an alias, ownership, a held key or a
 * delegation.
 */
export function samePerson(
  policy: Pick<PolicyDefinition, 'separation'>,
  graph: IdentityGraph,
  a: string,
  b: string,
): boolean {
  return a === b || personLink(policy, graph, a, b) !== undefined;
}

function personLink(
  policy: Pick<PolicyDefinition, 'separation'>,
  graph: IdentityGraph,
  a: string,
  b: string,
): LinkKind | undefined {
  if (policy.separation !== 'strict' && !graph.isNonHuman(a) && !graph.isNonHuman(b)) {
    return undefined;
  }
  return graph.linkBetween(a, b);
}

/**
 * Rule 5: a new approval must come from a person who has not approved yet. The same id again is
 * the caller's no-op (a retry), so only a *linked* earlier approver refuses here. The message
 * names the kind of link, never the other identity.
 */
export function checkNewApprover(
  policy: Pick<PolicyDefinition, 'separation'>,
  graph: IdentityGraph,
  earlierApprovers: readonly string[],
  approver: string,
): Decision {
  for (const earlier of earlierApprovers) {
    if (earlier === approver) continue;
    const link = personLink(policy, graph, approver, earlier);
    if (link) return linkedRefusal(link, 'the approver is linked to an earlier approver');
  }
  return allow('separation.distinct_people');
}

const linkedRefusal = (link: LinkKind, who: string): Decision =>
  deny(
    'separation.approver_linked',
    'separation_of_duties',
    'approver_linked',
    `${who} (${LINK_WORDS[link]})`,
  );

/**
 * Rule 3, checked again at mint: the recipient is none of the approvers and, under strict
 * separation, linked to none of them (config may have changed since they approved).
 */
export function checkRecipientSeparation(
  mode: SeparationMode,
  graph: IdentityGraph,
  recipient: string,
  approvers: readonly string[],
): Decision {
  if (approvers.includes(recipient)) {
    return sod('recipient_is_approver', 'the recipient approved this request');
  }
  if (mode === 'strict') {
    for (const approver of approvers) {
      const link = graph.linkBetween(approver, recipient);
      if (link)
        return linkedRefusal(link, 'the recipient is linked to an approver of this request');
    }
  }
  return allow('separation');
}
