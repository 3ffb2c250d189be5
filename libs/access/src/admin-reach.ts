import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AppConfig } from '#config';
import type { AdminReach, Clock } from '#domain';
import { adminReachOf, principalKind } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { Tx } from '#persistence';
import { PrincipalGroupsRepository, UnitOfWork } from '#persistence';
import { EmailClaims } from './email-claims.js';

// Remembered alongside the groups, from the same verified tokens.
export { EmailClaims };
import { PolicyState } from './policy-state.js';
import { APP_CONFIG, CLOCK } from './wiring/tokens.js';

/** A principal's recorded groups are rewritten at least this often, so replicas cannot drift long. */
const REFRESH_MS = 60_000;
const MAX_CACHED = 10_000;

/**
 * Rule 6 on every path: admin reach is judged by one domain rule (`adminReachOf`) from
 * the groups a path knows. Paths with a token record the groups it carried (`remember`), so a
 * path without one (a Slack click, an ID token with no groups claim) judges by the groups last
 * presented rather than by none; a principal never seen with its groups has unknown reach.
 */
@Injectable()
export class AdminReachJudge {
  /** principal -> the groups last written and when, so a steady principal costs no write. */
  private readonly written = new Map<string, { key: string; at: number }>();
  private readonly issuersWithGroups: ReadonlySet<string>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly seen: PrincipalGroupsRepository,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'issuers'>,
    // Present when email notifications are configured (libs/notify notifierProviders).
    @Optional() private readonly emails?: EmailClaims,
  ) {
    this.issuersWithGroups = new Set(
      config.issuers.filter((issuer) => issuer.groupsClaim).map((issuer) => issuer.name),
    );
  }

  /**
   * Records the groups a verified token carried; a write only when they changed (or a minute on).
   * Its email claim is remembered alongside, for notifications (EmailClaims).
   */
  async remember(principal: AuthenticatedPrincipal): Promise<void> {
    await this.emails?.remember(principal);
    if (principal.tokenGroupsKnown !== true || !this.carriesGroups(principal.id)) return;
    const key = JSON.stringify([...principal.tokenGroups].sort());
    const now = this.clock.now();
    const last = this.written.get(principal.id);
    if (last && last.key === key && now.getTime() - last.at < REFRESH_MS) return;
    await this.uow.run((tx) => this.seen.record(tx, principal.id, principal.tokenGroups, now));
    if (this.written.size >= MAX_CACHED) this.written.clear();
    this.written.set(principal.id, { key, at: now.getTime() });
  }

  /** The approver's admin reach under the policy in force, read inside the deciding transaction. */
  async judge(tx: Tx, principal: AuthenticatedPrincipal): Promise<AdminReach> {
    const known = principal.tokenGroupsKnown === true || !this.carriesGroups(principal.id);
    const groups = this.policy.groupsNow(principal.id, principal.tokenGroups);
    const lastSeen = known ? undefined : await this.seen.lastSeen(tx, principal.id);
    return adminReachOf(this.policy.policy, { id: principal.id, groups }, known, lastSeen);
  }

  /** Only an issuer with a `groupsClaim` can give groups in a token; others' are always known. */
  private carriesGroups(id: string): boolean {
    if (principalKind(id) !== 'issuer') return false;
    return this.issuersWithGroups.has(id.slice(0, id.indexOf(':')));
  }
}
