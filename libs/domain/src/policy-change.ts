import type { MintCandidate, PolicyContext } from './access-rules.js';
import { checkMint, checkRecipient, checkRequester } from './access-rules.js';
import type { Decision } from './decision.js';
import { allow, deny, firstRefusal } from './decision.js';
import { checkDelegation } from './delegation.js';
import type { RoleDefinition } from './policy.js';
import { isWithinResource } from './request-input.js';

/** An open request as a policy reload sees it. */
export interface OpenRequestUnderReview extends MintCandidate {
  readonly status: 'pending' | 'approved';
  readonly intent: { readonly actions: readonly string[]; readonly resource: string } | null;
  /** The agent that asked on the recipient's behalf. */
  readonly act: string | null;
}

/**
 * After a policy reload, is an open request still allowed? The role must remain, the
 * requester (with `requesterGroups`: its token's groups at creation plus today's directory, or
 * null where they were not recorded, which skips that check) still be a requester, the
 * recipient still its own (or still delegated), the duration and intent still fit; an approved
 * one must also still pass the mint's checks (docs/api.md §2 rule 7).
 */
export function checkStillAllowed(
  context: PolicyContext,
  role: RoleDefinition | undefined,
  request: OpenRequestUnderReview,
  requesterGroups: readonly string[] | null,
  delegatorsOfAgent: readonly string[],
  now: Date,
): Decision {
  if (!role)
    return deny('reload.role', 'not_eligible', 'role_removed', 'the role no longer exists');
  return firstRefusal([
    () =>
      requesterGroups === null
        ? allow('reload.requester')
        : checkRequester(role, { id: request.requester, groups: requesterGroups }),
    () =>
      request.act !== null
        ? checkDelegation(delegatorsOfAgent, request.act, request.recipient)
        : checkRecipient(context.graph, request.requester, request.recipient),
    () =>
      request.durationSeconds > role.maxDuration
        ? deny(
            'reload.max_duration',
            'not_eligible',
            'duration_exceeds_max',
            'the duration now exceeds the role maximum',
          )
        : allow('reload.max_duration'),
    () => checkIntent(role, request.intent),
    () =>
      request.status === 'approved' ? checkMint(context, role, request, now) : allow('reload'),
  ]);
}

function checkIntent(role: RoleDefinition, intent: OpenRequestUnderReview['intent']): Decision {
  if (!intent) return allow('reload.intent');
  const within =
    intent.actions.every((action) => role.actions.includes(action)) &&
    isWithinResource(role.resource, intent.resource);
  return within
    ? allow('reload.intent')
    : deny(
        'reload.intent',
        'not_eligible',
        'intent_outside_role',
        'the intent no longer fits the role',
      );
}
