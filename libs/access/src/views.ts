import type { Decision, Principal } from '#domain';
import { checkApprover, deny } from '#domain';
import type { AccessRequestRow, ApprovalRow, BreakGlassReviewRow, GrantRow } from '#persistence';
import type { PolicyState } from './policy-state.js';

export interface ApprovalView {
  approver: string;
  at: string;
  comment?: string;
  /** Present when the approver held admin reach: alone, it does not complete a request (rule 6). */
  adminReach?: true;
}

/** The request object of docs/api.md §4. */
export interface RequestView {
  id: string;
  role: string;
  resource: string;
  /** Present when the request narrows its role: exactly what a credential would carry. */
  intent?: { actions: string[]; resource: string };
  requester: string;
  recipient: string;
  /** Present when an agent (the requester) asked on the recipient's behalf. */
  onBehalfOf?: string;
  justification?: string;
  duration: number;
  status: string;
  createdAt: string;
  approvals: ApprovalView[];
  approvalsRequired: number;
  decidedAt?: string;
  grantId?: string;
  /** Only for a viewer who may approve the request (ApproverLinks). */
  links?: { web: string };
  /** Issued through break-glass, without an approval; `review` says where its review stands. */
  breakGlass?: true;
  review?: BreakGlassReviewView;
  /** The grant this request asks more time for (docs/api.md "Extending a grant"). */
  extends?: string;
  /** When the request was escalated: its role's `escalateTo` may decide it too (docs/notifications.md). */
  escalatedAt?: string;
}

export interface BreakGlassReviewView {
  dueAt: string;
  escalations: number;
  reviewedBy?: string;
  reviewedAt?: string;
  comment?: string;
}

export interface GrantView {
  id: string;
  requestId: string;
  role: string;
  recipient: string;
  issuedAt: string;
  expiresAt: string;
  status: string;
  endedAt?: string;
  revokedReason?: string;
  /** Active past its expiry: revocation is late or its provider is failing. */
  overdue?: true;
  /** Failed provider revocations so far, when any. */
  revocationFailures?: number;
  /** Issued through break-glass. */
  breakGlass?: true;
}

export function toRequestView(
  row: AccessRequestRow,
  approvals: readonly ApprovalRow[],
  reviews: readonly BreakGlassReviewRow[] = [],
): RequestView {
  const review = row.breakGlass ? reviews.find((r) => r.requestId === row.id) : undefined;
  return {
    id: row.id,
    role: row.role,
    resource: row.resource,
    ...(row.intent === null ? {} : { intent: row.intent }),
    requester: row.requester,
    recipient: row.recipient,
    ...(row.act === null ? {} : { onBehalfOf: row.recipient }),
    ...(row.justification === null ? {} : { justification: row.justification }),
    duration: row.durationSeconds,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    approvals: approvals
      .filter((a) => a.requestId === row.id)
      .map((a) => ({
        approver: a.approver,
        at: a.at.toISOString(),
        ...(a.comment === null ? {} : { comment: a.comment }),
        ...(a.adminReach ? { adminReach: true as const } : {}),
      })),
    approvalsRequired: row.approvalsRequired,
    ...(row.decidedAt === null ? {} : { decidedAt: row.decidedAt.toISOString() }),
    ...(row.grantId === null ? {} : { grantId: row.grantId }),
    ...(row.breakGlass ? { breakGlass: true as const } : {}),
    ...(review ? { review: toReviewView(review) } : {}),
    ...(row.extendsGrantId ? { extends: row.extendsGrantId } : {}),
    ...(row.escalatedAt ? { escalatedAt: row.escalatedAt.toISOString() } : {}),
  };
}

function toReviewView(review: BreakGlassReviewRow): BreakGlassReviewView {
  return {
    dueAt: review.dueAt.toISOString(),
    escalations: review.escalations,
    ...(review.reviewedBy === null ? {} : { reviewedBy: review.reviewedBy }),
    ...(review.reviewedAt === null ? {} : { reviewedAt: review.reviewedAt.toISOString() }),
    ...(review.comment === null ? {} : { comment: review.comment }),
  };
}

export function toGrantView(row: GrantRow, now: Date): GrantView {
  return {
    id: row.id,
    requestId: row.requestId,
    role: row.role,
    recipient: row.recipient,
    issuedAt: row.issuedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    status: row.status,
    ...(row.endedAt === null ? {} : { endedAt: row.endedAt.toISOString() }),
    ...(row.revokedReason === null ? {} : { revokedReason: row.revokedReason }),
    ...(row.status === 'active' && row.expiresAt.getTime() <= now.getTime()
      ? { overdue: true as const }
      : {}),
    ...(row.revocationFailures > 0 ? { revocationFailures: row.revocationFailures } : {}),
    ...(row.breakGlass ? { breakGlass: true as const } : {}),
  };
}

/**
 * May this principal approve or deny this request? The domain's `checkApprover`, exactly as
 * DecideRequest applies it, so a page or a link never offers what the use case would refuse.
 */
export function approverDecision(
  policy: PolicyState,
  request: { role: string; requester: string; recipient: string; escalatedAt?: string },
  principal: Principal,
): Decision {
  const role = policy.role(request.role);
  if (!role) return deny('approvers', 'not_eligible', 'role_removed', 'the role no longer exists');
  return checkApprover(policy.context, role, request, principal);
}

/**
 * `links.web` (docs/api.md §6): the request's page, on request objects shown to a principal who may
 * approve it. Nobody else gets a link, so the field says "this one is yours to decide".
 */
export class ApproverLinks {
  constructor(
    private readonly policy: PolicyState,
    private readonly publicUrl: string,
  ) {}

  one(principal: Principal, view: RequestView): RequestView {
    if (!approverDecision(this.policy, view, principal).allowed) return view;
    return { ...view, links: { web: `${this.publicUrl}/requests/${view.id}` } };
  }

  page<P extends { items: RequestView[] }>(principal: Principal, list: P): P {
    return { ...list, items: list.items.map((view) => this.one(principal, view)) };
  }
}
