import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import type { IdentityGraph } from './identity-graph.js';
import type { PolicyDefinition, RoleDefinition } from './policy.js';
import type { Principal } from './principal.js';
import { matchesSelector } from './principal.js';
import { checkApproverSeparation, checkRecipientSeparation } from './separation.js';

/** Everything a rule may consult besides the request itself. */
export interface PolicyContext {
  readonly policy: PolicyDefinition;
  readonly graph: IdentityGraph;
}

export function isAdmin(policy: PolicyDefinition, principal: Principal): boolean {
  return matchesSelector(policy.admins, principal);
}

export function isEligibleApprover(role: RoleDefinition, principal: Principal): boolean {
  return matchesSelector(role.approvers, principal);
}

export function checkRequester(role: RoleDefinition, requester: Principal): Decision {
  return matchesSelector(role.requesters, requester)
    ? allow('requesters')
    : deny('requesters', 'not_eligible', 'not_a_requester', `not eligible to request ${role.name}`);
}

/** The recipient is the requester itself or a non-human principal the requester owns. */
export function checkRecipient(
  graph: IdentityGraph,
  requester: string,
  recipient: string,
): Decision {
  if (recipient === requester || graph.owns(requester, recipient)) return allow('recipient');
  return deny(
    'recipient',
    'not_eligible',
    'recipient_not_owned',
    'the recipient must be the requester or a non-human principal it owns',
  );
}

export interface OpenRequest {
  readonly requester: string;
  readonly recipient: string;
}

/**
 * May this principal approve (or deny) this request? Separation first, so that a requester
 * learns "you cannot approve your own request" rather than "you are not an approver".
 */
export function checkApprover(
  context: PolicyContext,
  role: RoleDefinition,
  request: OpenRequest,
  approver: Principal,
): Decision {
  const separation = checkApproverSeparation(context.policy, context.graph, request, approver.id);
  if (!separation.allowed) return separation;
  if (!isEligibleApprover(role, approver)) {
    return deny('approvers', 'not_eligible', 'not_an_approver', `not an approver of ${role.name}`);
  }
  return allow('approvers');
}

export interface CountedApproval {
  readonly approver: string;
  /** Whether the approver held admin reach when it approved (rule 6). */
  readonly adminReach: boolean;
}

/**
 * Rules 5 and 6: N distinct approvers, and at least one of them without admin reach, so an
 * admin can never complete a request on its own.
 */
export function isFullyApproved(approvals: readonly CountedApproval[], required: number): boolean {
  const distinct = new Map(approvals.map((a) => [a.approver, a]));
  if (distinct.size < required) return false;
  return [...distinct.values()].some((a) => !a.adminReach);
}

export interface ApprovalAtMint {
  readonly approver: string;
  /** The approver's groups as of now: its token groups at approval plus today's directory. */
  readonly groups: readonly string[];
  readonly adminReach: boolean;
}

export interface MintCandidate extends OpenRequest {
  readonly approvedAt: Date;
  readonly durationSeconds: number;
  readonly approvals: readonly ApprovalAtMint[];
}

/**
 * Rule 7: policy is evaluated again at mint. The role must still exist, the duration still fit,
 * the redeem window still be open, enough approvers still be eligible, and the recipient must be
 * none of them (rule 3).
 */
export function checkMint(
  context: PolicyContext,
  role: RoleDefinition | undefined,
  request: MintCandidate,
  now: Date,
): Decision {
  if (!role) return deny('mint.role', 'not_eligible', 'role_removed', 'the role no longer exists');
  if (now.getTime() >= request.approvedAt.getTime() + role.redeemWithin * 1000) {
    return deny(
      'mint.redeem_within',
      'invalid_state',
      'redeem_window_passed',
      'the request expired before it was redeemed',
    );
  }
  if (request.durationSeconds > role.maxDuration) {
    return deny(
      'mint.max_duration',
      'not_eligible',
      'duration_exceeds_max',
      'the duration now exceeds the role maximum',
    );
  }
  const separation = checkRecipientSeparation(
    context.policy.separation,
    context.graph,
    request.recipient,
    request.approvals.map((a) => a.approver),
  );
  if (!separation.allowed) return separation;
  const stillEligible = request.approvals.filter((approval) => {
    const principal = { id: approval.approver, groups: approval.groups };
    return checkApprover(context, role, request, principal).allowed;
  });
  if (!isFullyApproved(stillEligible, role.approvalsRequired)) {
    return deny(
      'mint.approvers',
      'not_eligible',
      'approver_not_eligible',
      'the approvals no longer satisfy the role policy',
    );
  }
  return allow('mint');
}

export interface VisibleRequest extends OpenRequest {
  readonly role: string;
}

/** Requester, recipient, eligible approvers of the role, admins: everyone else gets 404. */
export function canSeeRequest(
  policy: PolicyDefinition,
  principal: Principal,
  request: VisibleRequest,
): boolean {
  if (principal.id === request.requester || principal.id === request.recipient) return true;
  if (isAdmin(policy, principal)) return true;
  const role = policy.roles.find((r) => r.name === request.role);
  return role !== undefined && isEligibleApprover(role, principal);
}

export function canSeeGrant(
  policy: PolicyDefinition,
  principal: Principal,
  grant: { recipient: string },
): boolean {
  return principal.id === grant.recipient || isAdmin(policy, principal);
}

/** Roles whose requests this principal may see as an approver: used to scope list queries. */
export function rolesApprovableBy(policy: PolicyDefinition, principal: Principal): string[] {
  return policy.roles.filter((role) => isEligibleApprover(role, principal)).map((r) => r.name);
}
