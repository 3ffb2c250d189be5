import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import type { IdentityGraph } from './identity-graph.js';
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
 * Separation of duties for one approver (API.md §2 rules 1, 2 and 4), in the order a reader
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
    if (graph.linked(approver, parties.requester) || graph.linked(approver, parties.recipient)) {
      return sod(
        'approver_linked',
        'the approver is linked to the requester or the recipient through aliases or ownership',
      );
    }
  }
  if (nonHuman && !(policy.approverBots ?? []).includes(approver)) {
    return sod('approver_non_human', 'a non-human principal cannot approve');
  }
  return allow('separation');
}

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
  if (mode === 'strict' && approvers.some((approver) => graph.linked(approver, recipient))) {
    return sod('approver_linked', 'the recipient is linked to an approver of this request');
  }
  return allow('separation');
}
