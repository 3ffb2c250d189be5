import type { GrantRow, Tx } from '#persistence';
import type { ExpirySource } from './revocation/end-grants.js';

/** What the use cases report for metrics; the broker implements it with prom-client. */
export interface AccessMetrics {
  requestCreated(role: string): void;
  requestDecided(role: string, outcome: 'approved' | 'denied' | 'cancelled' | 'expired'): void;
  credentialIssued(role: string): void;
  grantEnded(
    role: string,
    status: 'revoked' | 'expired',
    expiry?: { lagSeconds: number; source: ExpirySource },
  ): void;
  revocationFailed(role: string): void;
  breakGlass(role: string, event: BreakGlassEvent): void;
}

export type BreakGlassEvent = 'activated' | 'escalated' | 'reviewed';

export type RequestChangeKind =
  | 'created'
  | 'approval_recorded'
  | 'approved'
  | 'denied'
  | 'cancelled'
  | 'expired'
  | 'issued'
  // Follow-ups of a pending request (docs/notifications.md): not a change of state.
  | 'reminded'
  | 'escalated';

/** A change of a request; ids only, a notifier reads what it shows itself. */
export interface RequestChange {
  requestId: string;
  kind: RequestChangeKind;
  actor: string;
  /** A denial's reason: the one part of a change the request row does not keep. */
  reason?: string;
  /** What tells a repeated change apart (a reminder's round): its notifications are new ones. */
  occasion?: string;
}

/** A grant whose end comes soon (a role's `warnBefore`). */
export interface GrantEndsSoon {
  grant: Pick<GrantRow, 'id' | 'requestId'>;
  endsAt: Date;
}

/** Grants that ended in one transaction, and how. */
export interface GrantsEnded {
  grants: readonly Pick<GrantRow, 'id' | 'requestId' | 'recipient' | 'role'>[];
  status: 'revoked' | 'expired';
  actor: string;
}

/**
 * Told of each change inside its transaction (docs/notifications.md): it writes the notifications
 * the change owes into the outbox before commit, so they commit, or roll back, with the change.
 * It must not fail the change for a delivery problem: delivery happens after commit.
 */
export interface RequestNotifier {
  requestChanged(tx: Tx, change: RequestChange): void;
  grantsEnded(tx: Tx, ended: GrantsEnded): void;
  grantEnding(tx: Tx, ending: GrantEndsSoon): void;
}

export const silentNotifier: RequestNotifier = {
  requestChanged: () => undefined,
  grantsEnded: () => undefined,
  grantEnding: () => undefined,
};

/** The one thing the use cases report to: metrics at once, notifications with the change. */
export interface AccessObserver extends AccessMetrics {
  requestChanged(tx: Tx, change: RequestChange): void;
  grantsEnded(tx: Tx, ended: GrantsEnded): void;
  grantEnding(tx: Tx, ending: GrantEndsSoon): void;
}

export class AccessEvents implements AccessObserver {
  constructor(
    private readonly metrics: AccessMetrics,
    private readonly notifier: RequestNotifier,
  ) {}

  requestCreated(role: string): void {
    this.metrics.requestCreated(role);
  }

  requestDecided(role: string, outcome: 'approved' | 'denied' | 'cancelled' | 'expired'): void {
    this.metrics.requestDecided(role, outcome);
  }

  credentialIssued(role: string): void {
    this.metrics.credentialIssued(role);
  }

  grantEnded(
    role: string,
    status: 'revoked' | 'expired',
    expiry?: { lagSeconds: number; source: ExpirySource },
  ): void {
    this.metrics.grantEnded(role, status, expiry);
  }

  revocationFailed(role: string): void {
    this.metrics.revocationFailed(role);
  }

  breakGlass(role: string, event: BreakGlassEvent): void {
    this.metrics.breakGlass(role, event);
  }

  requestChanged(tx: Tx, change: RequestChange): void {
    this.notifier.requestChanged(tx, change);
  }

  grantsEnded(tx: Tx, ended: GrantsEnded): void {
    if (ended.grants.length > 0) this.notifier.grantsEnded(tx, ended);
  }

  grantEnding(tx: Tx, ending: GrantEndsSoon): void {
    this.notifier.grantEnding(tx, ending);
  }
}
