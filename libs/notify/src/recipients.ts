import { createHash } from 'node:crypto';
import type { OpenRequest, PolicyContext, RoleDefinition } from '#domain';
import { checkApprover, samePerson } from '#domain';

/** Someone who might approve: an id and the groups countersign knows for it now. */
export interface ApproverCandidate {
  id: string;
  groups: readonly string[];
}

/**
 * The approvers to tell about a request (docs/notifications.md): those who may decide it now
 * (`checkApprover`: eligible, separation of duties), who have not approved it already (as
 * DecideRequest's `checkNewApprover` judges it: under strict separation an alias of an earlier
 * approver is that approver), and who are
 * not linked to the requester or the recipient in any way (alias, ownership, shared owner, held
 * key, delegation), whatever the separation mode: a notification asking for a decision goes to
 * other people, never to the parties under another name.
 */
export function approversToNotify(
  context: PolicyContext,
  role: RoleDefinition,
  request: OpenRequest,
  candidates: readonly ApproverCandidate[],
  decided: readonly string[] = [],
): string[] {
  const chosen = new Set<string>();
  for (const candidate of candidates) {
    if (chosen.has(candidate.id)) continue;
    if (decided.some((earlier) => samePerson(context.policy, context.graph, earlier, candidate.id)))
      continue;
    if (!checkApprover(context, role, request, candidate).allowed) continue;
    if (context.graph.linked(candidate.id, request.requester)) continue;
    if (context.graph.linked(candidate.id, request.recipient)) continue;
    chosen.add(candidate.id);
  }
  return [...chosen].sort();
}

/** Who hears a request's outcome: its requester, and its recipient when that is someone else. */
export function outcomeAudience(request: OpenRequest): string[] {
  return request.recipient === request.requester
    ? [request.requester]
    : [request.requester, request.recipient];
}

/** `slack.users` read the other way: principal -> the Slack `team/user`s mapped to it. */
export function slackUsersByPrincipal(
  users: Readonly<Record<string, string>>,
): Map<string, string[]> {
  const byPrincipal = new Map<string, string[]>();
  for (const [slackUser, principal] of Object.entries(users)) {
    byPrincipal.set(principal, [...(byPrincipal.get(principal) ?? []), slackUser].sort());
  }
  return byPrincipal;
}

/** What makes two notifications the same one: the change, the channel and the recipient. */
export interface NotificationIdentity {
  requestId: string;
  grantId?: string | null;
  kind: string;
  actor: string;
  channel: string;
  audience: string;
  recipient: string;
  /** What tells a repeated change apart (a reminder's round, the end a warning is about). */
  occasion?: string;
}

/** A fixed-length key, the same for the same notification wherever and whenever it is derived. */
export function idempotencyKey(n: NotificationIdentity): string {
  const parts = [n.requestId, n.grantId ?? '', n.kind, n.actor, n.channel, n.audience, n.recipient];
  // Appended only when present, so the keys of changes without one are as they always were.
  if (n.occasion !== undefined) parts.push(n.occasion);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
