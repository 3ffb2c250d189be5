import { randomUUID } from 'node:crypto';
import type { AuditLog } from '#audit';
import type { CredentialMinter, CredentialSigner } from '#credentials';
import type { Clock } from '#domain';
import { DomainError, checkMint, checkRecipientSeparation } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type {
  AccessRequestRow,
  ApprovalRow,
  GrantRepository,
  RequestRepository,
  Tx,
  UnitOfWork,
} from '#persistence';
import { GrantRow, Refusal } from '#persistence';
import { auditDecision, refuse, refuseDecision } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import type { PolicyState } from './policy-state.js';
import type { Credential, CredentialProvider } from './providers/credential-provider.js';
import { providerFailure } from './providers/credential-provider.js';
import type { ProviderRegistry } from './providers/provider-registry.js';
import type { RevocationScheduler } from './revocation/revocation-scheduler.js';
import type { RequestLoader } from './request-loader.js';
import { invalidStateFor } from './request-loader.js';

export interface MintedCredential {
  grantId: string;
  expiresAt: string;
  credential: Credential;
}

/** Access a provider opened in a mint transaction, to close again if that transaction fails. */
interface Opened {
  provider: CredentialProvider;
  grant: GrantRow;
}

/**
 * Redeems an approved request: re-evaluates policy (API.md §2 rule 7), has the role's provider
 * open access, commits the grant, schedules its revocation, then hands out the credential. The
 * request lock and the unique grant per request make it mint once. Ordering and failures:
 * docs/providers.md.
 */
export class MintCredential {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly minter: CredentialMinter,
    private readonly providers: ProviderRegistry,
    private readonly scheduler: RevocationScheduler,
    private readonly clock: Clock,
    private readonly observer: AccessObserver,
  ) {}

  async execute(caller: AuthenticatedPrincipal, requestId: string): Promise<MintedCredential> {
    const signer = await this.minter.signer();
    const opened: Opened[] = [];
    const minted = await this.uow
      .run(async (tx) => {
        const row = await this.loader.forAction(tx, caller, requestId, 'credential.refused');
        if (row instanceof Refusal) return row;
        const approvals = await this.requests.approvals(tx, [row.id]);
        const refusal = await this.callerRefusal(tx, caller, row, approvals);
        if (refusal) return refusal;
        const subject = { actor: caller.id, requestId: row.id, action: 'mint' };
        const decision = checkMint(
          this.policy.context,
          this.policy.role(row.role),
          this.candidate(row, approvals),
          this.clock.now(),
        );
        if (!decision.allowed) {
          if (decision.reason === 'redeem_window_passed')
            await this.loader.expire(tx, row, 'system');
          return refuseDecision(tx, this.audit, 'credential.refused', subject, decision);
        }
        await auditDecision(tx, this.audit, subject, decision);
        return this.issue(tx, signer, row, approvals, opened);
      })
      .catch((error: unknown) => {
        // Nothing committed, or the provider refused: close whatever it may have opened anyway.
        this.withdraw(opened);
        throw error;
      });
    // The grant row (with expiresAt) is committed: it is the truth the sweep works from. The
    // fast path is scheduled before the credential leaves; it never fails the mint.
    await this.scheduler.schedule([new Date(minted.expiresAt)]);
    return minted;
  }

  /** Who may redeem, and whether there is anything left to redeem. */
  private async callerRefusal(
    tx: Tx,
    caller: AuthenticatedPrincipal,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
  ): Promise<Refusal | undefined> {
    const event = { actor: caller.id, requestId: row.id };
    if (row.status === 'issued') {
      const error = new DomainError(
        'already_issued',
        'a credential was already issued for this request',
        { reason: 'already_issued' },
      );
      return refuse(tx, this.audit, 'credential.refused', event, error);
    }
    if (caller.id !== row.recipient) {
      // An approver asking for the credential is the separation failure this product exists for:
      // rule 3 decides it, as a policy decision of its own.
      const approvers = approvals.map((a) => a.approver);
      const { separation } = this.policy.policy;
      const decision = checkRecipientSeparation(
        separation,
        this.policy.context.graph,
        caller.id,
        approvers,
      );
      if (!decision.allowed) {
        return refuseDecision(
          tx,
          this.audit,
          'credential.refused',
          { ...event, action: 'mint' },
          decision,
        );
      }
      const error = new DomainError('forbidden', 'only the recipient can redeem this request', {
        reason: 'not_recipient',
      });
      return refuse(tx, this.audit, 'credential.refused', event, error);
    }
    if (row.status !== 'approved') {
      return refuse(tx, this.audit, 'credential.refused', event, invalidStateFor(row, 'redeem'));
    }
    return undefined;
  }

  private candidate(row: AccessRequestRow, approvals: readonly ApprovalRow[]) {
    return {
      requester: row.requester,
      recipient: row.recipient,
      approvedAt: row.decidedAt ?? row.createdAt,
      durationSeconds: row.durationSeconds,
      approvals: approvals.map((a) => ({
        approver: a.approver,
        groups: this.policy.groupsNow(a.approver, a.tokenGroups),
        adminReach: a.adminReach,
      })),
    };
  }

  /**
   * The provider opens access first, inside the transaction: if it fails, nothing but the refusal
   * commits and the request stays `approved` for a later try. The grant id is its idempotency key.
   */
  private async issue(
    tx: Tx,
    signer: CredentialSigner,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
    opened: Opened[],
  ): Promise<MintedCredential | Refusal> {
    const role = this.policy.role(row.role)!;
    const issuedAt = this.clock.now();
    const expiresAt = new Date(issuedAt.getTime() + row.durationSeconds * 1000);
    const grantId = randomUUID();
    const approvers = approvals.map((a) => a.approver);
    // An approved intent is exactly what the credential carries (issue 5): its `aud` and `scope`.
    const resource = row.intent?.resource ?? role.resource;
    const actions = row.intent ? [...row.intent.actions] : [...role.actions];
    const grant: GrantRow = Object.assign(new GrantRow(), {
      id: grantId,
      requestId: row.id,
      role: role.name,
      resource,
      recipient: row.recipient,
      actions,
      approvers,
      status: 'active',
      issuedAt,
      expiresAt,
      endedAt: null,
      revokedReason: null,
      revokedBy: null,
      revocationFailures: 0,
      nextRevocationAt: null,
      kid: '',
    });
    const provider = this.providers.forRole(role);
    opened.push({ provider, grant });
    let issued;
    try {
      issued = await provider.grant(grant, { signer });
    } catch (error) {
      return this.providerRefusal(tx, row, provider, error);
    }
    const kid = issued.kid ?? '';
    grant.kid = kid;
    await this.grants.insert(tx, grant);
    const moved = await this.requests.transition(tx, row.id, 'approved', {
      status: 'issued',
      grantId,
      deadlineAt: null,
    });
    if (!moved) throw new Error(`request ${row.id} changed under its lock`);
    await this.audit.append(tx, {
      type: 'credential.issued',
      actor: row.recipient,
      requestId: row.id,
      grantId,
      data: {
        role: role.name,
        resource,
        scope: actions.join(' '),
        provider: provider.type,
        ...(kid ? { kid } : {}),
        approvers,
        expiresAt: expiresAt.toISOString(),
      },
    });
    this.observer.credentialIssued(role.name);
    this.observer.requestChanged(tx, { requestId: row.id, kind: 'issued', actor: row.recipient });
    return { grantId, expiresAt: expiresAt.toISOString(), credential: issued.credential };
  }

  private providerRefusal(
    tx: Tx,
    row: AccessRequestRow,
    provider: CredentialProvider,
    error: unknown,
  ): Promise<Refusal> {
    const refusal = new DomainError(
      'unavailable',
      'the target system could not grant access; the request is still approved, try again',
      { reason: 'provider_unavailable' },
    );
    const data = { provider: provider.type, error: providerFailure(error).slice(0, 200) };
    const event = { actor: row.recipient, requestId: row.id, data };
    return refuse(tx, this.audit, 'credential.refused', event, refusal);
  }

  /**
   * Best effort, in the background: the caller already has its answer. What this misses, the
   * provider's reconciliation removes (or, for a webhook, the receiver's own expiry ends).
   */
  private withdraw(opened: readonly Opened[]): void {
    for (const { provider, grant } of opened) {
      provider.revoke(grant).catch(() => undefined);
    }
  }
}
