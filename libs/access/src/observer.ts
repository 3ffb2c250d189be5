import type { ExpirySource } from './revocation/end-grants.js';

/** What the use cases report for metrics; the broker implements it with prom-client. */
export interface AccessObserver {
  requestCreated(role: string): void;
  requestDecided(role: string, outcome: 'approved' | 'denied' | 'cancelled' | 'expired'): void;
  credentialIssued(role: string): void;
  grantEnded(
    role: string,
    status: 'revoked' | 'expired',
    expiry?: { lagSeconds: number; source: ExpirySource },
  ): void;
  revocationFailed(role: string): void;
}

export const silentObserver: AccessObserver = {
  requestCreated: () => undefined,
  requestDecided: () => undefined,
  credentialIssued: () => undefined,
  grantEnded: () => undefined,
  revocationFailed: () => undefined,
};
