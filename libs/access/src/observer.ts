import type { Tx } from '#persistence';
import { runAfterCommit } from '#persistence';
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
  'created' | 'approval_recorded' | 'approved' | 'denied' | 'cancelled' | 'expired' | 'issued';

/** A committed change of a request; ids only, a notifier reads what it shows itself. */
export interface RequestChange {
  requestId: string;
  kind: RequestChangeKind;
  actor: string;
}

/**
 * Told of each request change after commit (Slack, docs/api.md §7). It must return at once and
 * never throw: notifications are retried on their own and never block or fail the change.
 */
export interface RequestNotifier {
  requestChanged(change: RequestChange): void;
}

export const silentNotifier: RequestNotifier = { requestChanged: () => undefined };

/** The one thing the use cases report to: metrics at once, notifications after commit. */
export interface AccessObserver extends AccessMetrics {
  requestChanged(tx: Tx, change: RequestChange): void;
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
    runAfterCommit(tx, () => this.notifier.requestChanged(change));
  }
}
