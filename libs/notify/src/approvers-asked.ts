import type { PolicyState } from '#access';
import type { RoleDefinition, Selector } from '#domain';
import { isEligibleApprover } from '#domain';
import type { AccessRequestRow, PrincipalGroupsRepository, Tx } from '#persistence';
import { ApprovalRow } from '#persistence';
import { approversToNotify } from './recipients.js';

/**
 * Whom a change asks for a decision (docs/notifications.md): a new request asks its role's
 * approvers; an escalation asks those it adds (its `escalateTo` who were no approvers before); a
 * reminder asks every approver still needed (escalated ones included, none who decided already).
 * Each is judged as DecideRequest would judge them now, and kept apart from the parties.
 */
export class ApproversAsked {
  constructor(
    private readonly groupsSeen: PrincipalGroupsRepository,
    private readonly policy: PolicyState,
  ) {}

  async of(tx: Tx, request: AccessRequestRow, kind: string): Promise<string[]> {
    const role = this.policy.role(request.role);
    if (!role) return [];
    const escalateTo = request.escalatedAt ? role.escalation?.to : undefined;
    switch (kind) {
      case 'created':
        return this.eligible(tx, role, request, [role.approvers]);
      case 'escalated': {
        if (!escalateTo) return [];
        const candidates = await this.candidates(tx, [escalateTo]);
        const added = candidates.filter((candidate) => !isEligibleApprover(role, candidate));
        return approversToNotify(this.policy.context, role, request, added);
      }
      case 'reminded': {
        const decided = await tx.find(ApprovalRow, { where: { requestId: request.id } });
        const selectors = escalateTo ? [role.approvers, escalateTo] : [role.approvers];
        const candidates = await this.candidates(tx, selectors);
        return approversToNotify(
          this.policy.context,
          role,
          request,
          candidates,
          decided.map((approval) => approval.approver),
        );
      }
      default:
        return [];
    }
  }

  private async eligible(
    tx: Tx,
    role: RoleDefinition,
    request: AccessRequestRow,
    selectors: readonly Selector[],
  ): Promise<string[]> {
    const candidates = await this.candidates(tx, selectors);
    return approversToNotify(this.policy.context, role, request, candidates);
  }

  /**
   * Whom the selectors name: their principals, the directory's members of their groups and whoever
   * last showed one of those groups in a token, each with the groups known for it now (directory
   * plus last token).
   */
  private async candidates(tx: Tx, selectors: readonly Selector[]) {
    const groups = selectors.flatMap((selector) => selector.groups ?? []);
    const seen = await this.groupsSeen.withAnyGroup(tx, groups);
    const ids = new Set([
      ...selectors.flatMap((selector) => selector.principals ?? []),
      ...this.policy.directoryMembers(groups),
      ...seen.map((row) => row.principal),
    ]);
    const lastSeen = await this.groupsSeen.lastSeenOf(tx, [...ids]);
    return [...ids].map((id) => ({
      id,
      groups: this.policy.groupsNow(id, lastSeen.get(id) ?? []),
    }));
  }
}
