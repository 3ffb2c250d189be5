import type { AccessRequestRow, ApprovalRow, GrantRow } from '#persistence';

export interface ApprovalView {
  approver: string;
  at: string;
  comment?: string;
}

/** The request object of API.md §4. */
export interface RequestView {
  id: string;
  role: string;
  resource: string;
  requester: string;
  recipient: string;
  justification?: string;
  duration: number;
  status: string;
  createdAt: string;
  approvals: ApprovalView[];
  approvalsRequired: number;
  decidedAt?: string;
  grantId?: string;
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
}

export function toRequestView(
  row: AccessRequestRow,
  approvals: readonly ApprovalRow[],
): RequestView {
  return {
    id: row.id,
    role: row.role,
    resource: row.resource,
    requester: row.requester,
    recipient: row.recipient,
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
      })),
    approvalsRequired: row.approvalsRequired,
    ...(row.decidedAt === null ? {} : { decidedAt: row.decidedAt.toISOString() }),
    ...(row.grantId === null ? {} : { grantId: row.grantId }),
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
  };
}
