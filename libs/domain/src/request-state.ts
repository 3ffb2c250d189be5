import { DomainError } from './errors.js';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired' | 'issued';
export type GrantStatus = 'active' | 'revoked' | 'expired';

const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['approved', 'denied', 'cancelled', 'expired'],
  approved: ['issued', 'expired'],
  denied: [],
  cancelled: [],
  expired: [],
  issued: [],
};

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('invalid_state', `a ${from} request cannot become ${to}`, {
      reason: `request_${from}`,
    });
  }
}

/** When an open request stops being actionable (the role's `requestTimeout`, `redeemWithin`). */
export function openRequestDeadline(
  request: { status: RequestStatus; createdAt: Date; decidedAt?: Date },
  timeouts: { requestTimeout: number; redeemWithin: number },
): Date | undefined {
  if (request.status === 'pending') {
    return new Date(request.createdAt.getTime() + timeouts.requestTimeout * 1000);
  }
  if (request.status === 'approved' && request.decidedAt) {
    return new Date(request.decidedAt.getTime() + timeouts.redeemWithin * 1000);
  }
  return undefined;
}

/** A deadline is inclusive: at the deadline instant the request has expired. */
export function isPastDeadline(deadline: Date | undefined, now: Date): boolean {
  return deadline !== undefined && now.getTime() >= deadline.getTime();
}
