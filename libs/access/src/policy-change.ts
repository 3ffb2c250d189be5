import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, PolicyDefinition, RoleDefinition } from '#domain';
import { checkStillAllowed, findRole } from '#domain';
import { policyHashOf } from '#evidence';
import { GrantRepository, RequestRepository, UnitOfWork } from '#persistence';
import type { PolicySource } from './policy-state.js';
import { PolicyState } from './policy-state.js';
import { RequestLoader } from './request-loader.js';
import { GrantEnder } from './revocation/end-grants.js';
import { CLOCK } from './wiring/tokens.js';

const PAGE = 200;

export interface PolicyChangeReport {
  /** Roles added, removed or changed by the reload. */
  changedRoles: string[];
  /** Open requests the new policy no longer allows: now `expired`. */
  expiredRequests: number;
  /** Active grants of changed roles marked `revokeOnPolicyChange`: now `revoked`. */
  revokedGrants: number;
  /** Grants whose provider failed to revoke: retried at their expiry by the sweep, or by hand. */
  revocationFailures: number;
}

/**
 * A new policy reaches live requests. The policy is swapped at once (every decision after
 * that uses it); then each open request is re-evaluated and those no longer allowed expire with
 * reason `policy_changed`, and roles that changed and say `revokeOnPolicyChange` have their active
 * grants revoked. One `policy.changed` event records the reload and what it did.
 */
@Injectable()
export class ApplyPolicyChange {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly ender: GrantEnder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async apply(actor: string, next: PolicySource): Promise<PolicyChangeReport> {
    const previous = this.policy.policy;
    this.policy.replace(next);
    const changed = changedRoles(previous, this.policy.policy);
    const expiredRequests = await this.expireDisallowed(actor);
    const revoked = { revokedGrants: 0, revocationFailures: 0 };
    for (const name of changed) {
      const before = findRole(previous, name);
      const after = this.policy.role(name);
      if (before?.revokeOnPolicyChange || after?.revokeOnPolicyChange) {
        const result = await this.revokeGrantsOf(actor, name);
        revoked.revokedGrants += result.ended;
        revoked.revocationFailures += result.failed;
      }
    }
    const report = { changedRoles: changed, expiredRequests, ...revoked };
    await this.uow.run((tx) =>
      this.audit.append(tx, { type: 'policy.changed', actor, data: { ...report } }),
    );
    return report;
  }

  private async expireDisallowed(actor: string): Promise<number> {
    let expired = 0;
    let afterId = '';
    for (;;) {
      const page = await this.uow.run(async (tx) => {
        const rows = await this.requests.openPage(tx, afterId, PAGE);
        const approvals = await this.requests.approvals(
          tx,
          rows.map((row) => row.id),
        );
        const now = this.clock.now();
        for (const row of rows) {
          const decision = checkStillAllowed(
            this.policy.context,
            this.policy.role(row.role),
            {
              status: row.status as 'pending' | 'approved',
              requester: row.requester,
              recipient: row.recipient,
              escalatedAt: row.escalatedAt,
              approvedAt: row.decidedAt ?? row.createdAt,
              durationSeconds: row.durationSeconds,
              approvals: approvals
                .filter((a) => a.requestId === row.id)
                .map((a) => ({
                  approver: a.approver,
                  groups: this.policy.groupsNow(a.approver, a.tokenGroups),
                  adminReach: a.adminReach,
                })),
              intent: row.intent,
              act: row.act,
            },
            row.requesterGroups === null
              ? null
              : this.policy.groupsNow(row.requester, row.requesterGroups),
            row.act === null ? [] : this.policy.delegatorsOf(row.act),
            now,
          );
          if (!decision.allowed && (await this.loader.expire(tx, row, actor, 'policy_changed')))
            expired += 1;
        }
        return rows;
      });
      if (page.length < PAGE) return expired;
      afterId = page[page.length - 1].id;
    }
  }

  private async revokeGrantsOf(actor: string, role: string) {
    const total = { ended: 0, failed: 0 };
    // A grant whose provider fails stays active (and is counted); skip past it, not forever.
    const seen = new Set<string>();
    for (;;) {
      const batch = await this.uow.run(async (tx) => {
        const active = (await this.grants.activeOfRole(tx, role, PAGE + seen.size)).filter(
          (grant) => !seen.has(grant.id),
        );
        const result = await this.ender.end(
          tx,
          active,
          { status: 'revoked', actor, reason: 'policy changed' },
          this.clock.now(),
        );
        for (const failure of result.failed) seen.add(failure.grant.id);
        return { claimed: active.length, ended: result.ended.length, failed: result.failed.length };
      });
      total.ended += batch.ended;
      total.failed += batch.failed;
      if (batch.claimed < PAGE) return total;
    }
  }
}

/** Roles whose definition (as hashed for evidence) differs between two policies, or that exist in one only. */
function changedRoles(before: PolicyDefinition, after: PolicyDefinition): string[] {
  const hash = (policy: PolicyDefinition, role: RoleDefinition) =>
    policyHashOf(policy.separation, role);
  const names = new Set([...before.roles, ...after.roles].map((role) => role.name));
  return [...names].filter((name) => {
    const a = findRole(before, name);
    const b = findRole(after, name);
    return !a || !b || hash(before, a) !== hash(after, b);
  });
}
