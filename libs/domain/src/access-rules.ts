import type { Decision } from './decision.js';
import { allow, deny } from './decision.js';
import type { IdentityGraph } from './identity-graph.js';
import type { PolicyDefinition, RoleDefinition } from './policy.js';
import type { Principal } from './principal.js';
import { matchesSelector } from './principal.js';
import { checkApproverSeparation, checkRecipientSeparation, samePerson } from './separation.js';

/** Everything a rule may consult besides the request itself. */
export interface PolicyContext {
  readonly policy: PolicyDefinition;
  readonly graph: IdentityGraph;
}

export function isAdmin(policy: PolicyDefinition, principal: Principal): boolean {
  return matchesSelector(policy.admins, principal);
}

/** Rule 6's question on any path: does this approver hold admin reach, and can we tell? */
export type AdminReach = 'admin' | 'none' | 'unknown';

/**
 * Admin reach, computed one way on every path (API, web, Slack) from what is known of the
 * principal's groups. `principal.groups` are the directory's plus whatever its credential
 * carried; when that credential could have carried groups and did not (a Slack click, an ID
 * token without its groups claim), the groups it last presented in a verified token stand in,
 * and with none of those either, reach is `unknown` — never `none` — unless admins are named by
 * principal only, where groups cannot matter.
 */
export function adminReachOf(
  policy: PolicyDefinition,
  principal: Principal,
  tokenGroupsKnown: boolean,
  lastSeenTokenGroups: readonly string[] | undefined,
): AdminReach {
  if (isAdmin(policy, principal)) return 'admin';
  if (tokenGroupsKnown) return 'none';
  if (lastSeenTokenGroups !== undefined) {
    const groups = [...principal.groups, ...lastSeenTokenGroups];
    return isAdmin(policy, { id: principal.id, groups }) ? 'admin' : 'none';
  }
  return (policy.admins.groups ?? []).length === 0 ? 'none' : 'unknown';
}

export function isEligibleApprover(role: RoleDefinition, principal: Principal): boolean {
  return matchesSelector(role.approvers, principal);
}

/**
 * An approver of this request: one of the role's approvers, or, once the request was escalated,
 * one of the role's `escalation.to` (named by the role as configured now, so removing someone from
 * it takes effect as removing an approver does). Separation is checked apart, the same for both.
 */
export function isEligibleApproverOf(
  role: RoleDefinition,
  request: Pick<OpenRequest, 'escalatedAt'>,
  principal: Principal,
): boolean {
  if (isEligibleApprover(role, principal)) return true;
  return isEscalated(request) && role.escalation !== undefined
    ? matchesSelector(role.escalation.to, principal)
    : false;
}

const isEscalated = (request: Pick<OpenRequest, 'escalatedAt'>) =>
  request.escalatedAt !== undefined && request.escalatedAt !== null;

export function checkRequester(role: RoleDefinition, requester: Principal): Decision {
  return matchesSelector(role.requesters, requester)
    ? allow('requesters')
    : deny('requesters', 'not_eligible', 'not_a_requester', `not eligible to request ${role.name}`);
}

/** Only the requester cancels its request (an approver denies instead). */
export function checkCanceller(
  request: { readonly requester: string },
  principal: Principal,
): Decision {
  return principal.id === request.requester
    ? allow('canceller')
    : deny('canceller', 'forbidden', 'not_requester', 'only the requester can cancel a request');
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
  /**
   * When the request was escalated (its role's `escalation.to` became approvers too), if it was:
   * a row's Date or a view's ISO string, only its presence counts.
   */
  readonly escalatedAt?: Date | string | null;
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
  if (!isEligibleApproverOf(role, request, approver)) {
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
 * Rules 5 and 6: N distinct *people*, and at least one of them without admin reach, so an admin
 * can never complete a request on its own. Approvals whose approvers are the same person (the
 * same id, or linked under `samePersonAs`) count once, and that person counts as an admin if any
 * of its approvals held admin reach. Links are not transitive (two bots may each share an owner
 * with a third identity and not with each other), so people are the connected groups: the
 * fewest people the approvals could be, which is the safe count.
 */
export function isFullyApproved(
  approvals: readonly CountedApproval[],
  required: number,
  samePersonAs: (a: string, b: string) => boolean = (a, b) => a === b,
): boolean {
  const people = groupIntoPeople(approvals, samePersonAs);
  if (people.length < required) return false;
  return people.some((person) => person.every((a) => !a.adminReach));
}

/** The approvals of a request for its policy: people as separation mode and links make them. */
export function countsAsApproved(
  context: PolicyContext,
  approvals: readonly CountedApproval[],
  required: number,
): boolean {
  return isFullyApproved(approvals, required, (a, b) =>
    samePerson(context.policy, context.graph, a, b),
  );
}

function groupIntoPeople<T extends CountedApproval>(
  approvals: readonly T[],
  samePersonAs: (a: string, b: string) => boolean,
): T[][] {
  const people: T[][] = [];
  for (const approval of approvals) {
    const joined = people.filter((person) =>
      person.some((other) => samePersonAs(other.approver, approval.approver)),
    );
    const merged = [...joined.flat(), approval];
    for (const person of joined) people.splice(people.indexOf(person), 1);
    people.push(merged);
  }
  return people;
}

export interface ApprovalAtMint {
  readonly approver: string;
  /** The approver's groups as of now: its token groups at approval plus today's directory. */
  readonly groups: readonly string[];
  /** Admin reach as recorded at approval; at mint it counts if it holds then or now (rule 6). */
  readonly adminReach: boolean;
}

export interface MintCandidate extends OpenRequest {
  readonly approvedAt: Date;
  readonly durationSeconds: number;
  readonly approvals: readonly ApprovalAtMint[];
}

/**
 * Rule 7: policy is evaluated again at mint. The role must still exist, the duration still fit,
 * the redeem window still be open, enough approvers still be eligible and still distinct people
 * (rule 5, with today's links), one of them still without admin reach under today's policy
 * (rule 6), and the recipient must be none of them (rule 3).
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
  const stillEligible = request.approvals
    .filter((approval) => {
      const principal = { id: approval.approver, groups: approval.groups };
      return checkApprover(context, role, request, principal).allowed;
    })
    .map((approval) => ({
      approver: approval.approver,
      adminReach:
        approval.adminReach ||
        isAdmin(context.policy, { id: approval.approver, groups: approval.groups }),
    }));
  if (!countsAsApproved(context, stillEligible, role.approvalsRequired)) {
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
  return role !== undefined && isEligibleApproverOf(role, request, principal);
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

/** Roles whose escalated requests this principal may see and decide, as one escalated to. */
export function rolesEscalatedTo(policy: PolicyDefinition, principal: Principal): string[] {
  return policy.roles
    .filter((role) => role.escalation && matchesSelector(role.escalation.to, principal))
    .map((r) => r.name);
}
