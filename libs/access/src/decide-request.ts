import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import { CredentialMinter } from '#credentials';
import type { Clock, RoleDefinition } from '#domain';
import {
  DomainError,
  checkApprover,
  checkNewApprover,
  countsAsApproved,
  deny,
  openRequestDeadline,
  requiresSignedApproval,
} from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { AccessRequestRow, PasskeyApprovalSignature, Tx } from '#persistence';
import { ApprovalRow, Refusal, RequestRepository, UnitOfWork } from '#persistence';
import { AdminReachJudge } from './admin-reach.js';
import { requestFacts, signApprovalReceipt } from './approval-receipts.js';
import { auditDecision, refuse, refuseDecision } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import type { SignedApproval } from './passkeys/approval-signatures.js';
import { ApprovalSignatures } from './passkeys/approval-signatures.js';
import { PolicyState } from './policy-state.js';
import { RequestLoader, invalidStateFor } from './request-loader.js';
import type { RequestView } from './views.js';
import { toRequestView } from './views.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

/** Approve and deny: the same eligibility and separation-of-duties rules guard both. */
@Injectable()
export class DecideRequest {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
    private readonly minter: CredentialMinter,
    private readonly adminReach: AdminReachJudge,
    private readonly signatures: ApprovalSignatures,
  ) {}

  /**
   * Records an approval. `signed` is the approver's passkey assertion from the web page: required
   * for a role whose approvals are signed (without it, `signature_required`), and checked and
   * kept as the approval's own evidence wherever it is given.
   */
  async approve(
    approver: AuthenticatedPrincipal,
    id: string,
    comment?: string,
    signed?: SignedApproval,
  ): Promise<RequestView> {
    // Loaded before the transaction, as for minting: receipts are signed inside it.
    const signer = await this.minter.signer();
    return this.uow.run(async (tx) => {
      const checked = await this.checkedOpenRequest(tx, approver, id, 'approve');
      if (checked instanceof Refusal) return checked;
      const { row, role } = checked;
      const approvals = await this.requests.approvals(tx, [row.id]);
      // A principal counts once: a repeated approval (a retry, a double click) changes nothing.
      if (approvals.some((a) => a.approver === approver.id)) return toRequestView(row, approvals);
      // Before rules 5 and 6: a Slack click or an API call for such a role is told where it can
      // approve, rather than why it could not count here.
      if (!signed && requiresSignedApproval(role)) {
        const event = { actor: approver.id, requestId: row.id, data: { action: 'approve' } };
        const error = this.signatures.signatureRequired(row.id);
        return refuse(tx, this.audit, 'approval.refused', event, error);
      }
      const counted = await this.countedAs(tx, approver, row, approvals);
      if (counted instanceof Refusal) return counted;
      const signature = signed ? await this.verifiedSignature(tx, approver, row, signed) : null;
      if (signature instanceof Refusal) return signature;
      const at = this.clock.now();
      const facts = requestFacts(row, this.policy.policy.separation, role);
      const approval: ApprovalRow = Object.assign(new ApprovalRow(), {
        id: randomUUID(),
        requestId: row.id,
        approver: approver.id,
        comment: comment ?? null,
        at,
        adminReach: counted.adminReach,
        tokenGroups: [...approver.tokenGroups],
        receipt: await signApprovalReceipt(signer, this.minter.issuer, facts, approver.id, at),
        signature,
      });
      await this.requests.insertApproval(tx, approval);
      await this.audit.append(tx, {
        type: 'approval.recorded',
        actor: approver.id,
        requestId: row.id,
        data: {
          adminReach: approval.adminReach,
          ...(comment ? { comment } : {}),
          ...(signature
            ? {
                signature: 'passkey',
                passkeyId: signature.passkeyId,
                publicKeyId: signature.credentialId,
              }
            : {}),
        },
      });
      const all = [...approvals, approval];
      const complete = countsAsApproved(this.policy.context, all, row.approvalsRequired);
      if (complete) await this.markApproved(tx, row, role, all);
      const kind = complete ? 'approved' : 'approval_recorded';
      this.observer.requestChanged(tx, { requestId: row.id, kind, actor: approver.id });
      return toRequestView(row, all);
    });
  }

  async deny(approver: AuthenticatedPrincipal, id: string, reason: string): Promise<RequestView> {
    return this.uow.run(async (tx) => {
      const checked = await this.checkedOpenRequest(tx, approver, id, 'deny');
      if (checked instanceof Refusal) return checked;
      const { row } = checked;
      const now = this.clock.now();
      await this.requests.transition(tx, row.id, 'pending', {
        status: 'denied',
        decidedAt: now,
        deadlineAt: null,
      });
      Object.assign(row, { status: 'denied', decidedAt: now, deadlineAt: null });
      await this.audit.append(tx, {
        type: 'request.denied',
        actor: approver.id,
        requestId: row.id,
        data: { reason },
      });
      this.observer.requestDecided(row.role, 'denied');
      this.observer.requestChanged(tx, {
        requestId: row.id,
        kind: 'denied',
        actor: approver.id,
        reason,
      });
      return toRequestView(row, await this.requests.approvals(tx, [row.id]));
    });
  }

  private async checkedOpenRequest(
    tx: Tx,
    approver: AuthenticatedPrincipal,
    id: string,
    action: 'approve' | 'deny',
  ): Promise<{ row: AccessRequestRow; role: RoleDefinition } | Refusal> {
    const row = await this.loader.forAction(tx, approver, id, 'approval.refused');
    if (row instanceof Refusal) return row;
    const subject = { actor: approver.id, requestId: row.id, action };
    const role = this.policy.role(row.role);
    if (!role) {
      const decision = deny(
        'approvers',
        'not_eligible',
        'role_removed',
        'the role no longer exists',
      );
      return refuseDecision(tx, this.audit, 'approval.refused', subject, decision);
    }
    const decision = checkApprover(this.policy.context, role, row, approver);
    if (!decision.allowed)
      return refuseDecision(tx, this.audit, 'approval.refused', subject, decision);
    if (row.status !== 'pending') {
      return refuse(
        tx,
        this.audit,
        'approval.refused',
        { actor: approver.id, requestId: row.id, data: { action } },
        invalidStateFor(row, action),
      );
    }
    await auditDecision(tx, this.audit, subject, decision);
    return { row, role };
  }

  /** The approver's assertion checked (see ApprovalSignatures.verify); a failure is audited. */
  private async verifiedSignature(
    tx: Tx,
    approver: AuthenticatedPrincipal,
    row: AccessRequestRow,
    signed: SignedApproval,
  ): Promise<PasskeyApprovalSignature | Refusal> {
    const signature = await this.signatures.verify(tx, approver, row, signed);
    if (!(signature instanceof DomainError)) return signature;
    const event = { actor: approver.id, requestId: row.id, data: { action: 'approve' } };
    return refuse(tx, this.audit, 'approval.refused', event, signature);
  }

  /**
   * Rules 5 and 6 for a new approval, under the request's row lock so that two linked approvers
   * racing are decided one after the other: it must come from a person who has not approved yet,
   * and its admin reach must be known.
   */
  private async countedAs(
    tx: Tx,
    approver: AuthenticatedPrincipal,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
  ): Promise<{ adminReach: boolean } | Refusal> {
    const subject = { actor: approver.id, requestId: row.id, action: 'approve' };
    const { policy, graph } = this.policy.context;
    const earlier = approvals.map((a) => a.approver);
    const distinct = checkNewApprover(policy, graph, earlier, approver.id);
    if (!distinct.allowed)
      return refuseDecision(tx, this.audit, 'approval.refused', subject, distinct);
    const reach = await this.adminReach.judge(tx, approver);
    if (reach === 'unknown') {
      const event = { actor: approver.id, requestId: row.id, data: { action: 'approve' } };
      return refuse(tx, this.audit, 'approval.refused', event, adminReachUnknown());
    }
    return { adminReach: reach === 'admin' };
  }

  private async markApproved(
    tx: Tx,
    row: AccessRequestRow,
    role: RoleDefinition,
    approvals: readonly ApprovalRow[],
  ): Promise<void> {
    const now = this.clock.now();
    const deadlineAt =
      openRequestDeadline({ status: 'approved', createdAt: row.createdAt, decidedAt: now }, role) ??
      null;
    await this.requests.transition(tx, row.id, 'pending', {
      status: 'approved',
      decidedAt: now,
      deadlineAt,
    });
    Object.assign(row, { status: 'approved', decidedAt: now, deadlineAt });
    await this.audit.append(tx, {
      type: 'request.approved',
      actor: approvals[approvals.length - 1].approver,
      requestId: row.id,
      data: { approvers: approvals.map((a) => a.approver) },
    });
    this.observer.requestDecided(row.role, 'approved');
  }
}

/** Rule 6 fails closed: an approval whose admin reach cannot be told is not recorded. */
const adminReachUnknown = () =>
  new DomainError(
    'forbidden',
    'countersign cannot tell from this sign-in whether you hold admin reach (no groups came ' +
      'with it): approve on the web page or with the CLI, signed in with a token that carries ' +
      'your groups',
    { reason: 'admin_reach_unknown' },
  );
