import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { CredentialSigner } from '#credentials';
import type { Clock } from '#domain';
import {
  DomainError,
  checkExtendable,
  checkExtensionCap,
  extendedExpiry,
  firstRefusal,
} from '#domain';
import type { AccessRequestRow, ApprovalRow, Refusal, Tx } from '#persistence';
import { GrantRepository, GrantRow, RequestRepository, SYSTEM_SCOPE } from '#persistence';
import { auditDecision, refuse, refuseDecision } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import { PolicyState } from './policy-state.js';
import type {
  Credential,
  CredentialProvider,
  ExtendContext,
} from './providers/credential-provider.js';
import { providerFailure } from './providers/credential-provider.js';
import { ProviderRegistry } from './providers/provider-registry.js';
import { RequestLoader } from './request-loader.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

/** The answer to redeeming an extension: the grant's new end, and a new credential if any. */
export interface ExtendedCredential {
  grantId: string;
  expiresAt: string;
  /** The end the extension replaced. */
  extended: { from: string };
  /** `jwt`: a new token (same `jti`); `postgres`: none, the login held works on; `webhook`: as answered. */
  credential?: Credential;
}

/** An end a provider moved in a redeeming transaction, to move back if that transaction fails. */
export interface Reopened {
  provider: CredentialProvider;
  /** The grant as it was, ending where it ended before. */
  grant: GrantRow;
  context: ExtendContext;
}

/**
 * Redeems an approved extension (`extends_grant_id`) inside the mint's transaction: the grant's
 * row is locked, so no revocation or expiry ends it meanwhile (they lock it first too); the
 * provider moves the end at the target, then one guarded update moves the grant's end and its
 * owed revocation, and the request becomes `issued` with `grant.extended`. If the grant ended
 * before the lock was had, or the update finds it changed, nothing moves in the database and the
 * provider's change is undone: access is never extended at the target past what the database
 * says (and ending a grant closes its access at the target whatever its end there).
 */
@Injectable()
export class GrantExtender {
  constructor(
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly providers: ProviderRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async extend(
    tx: Tx,
    signer: CredentialSigner,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
    reopened: Reopened[],
  ): Promise<ExtendedCredential | Refusal> {
    const grantId = row.extendsGrantId;
    if (grantId === null) throw new Error(`request ${row.id} extends no grant`);
    const grant = await this.grants.findVisible(tx, SYSTEM_SCOPE, grantId, { lock: true });
    if (!grant) throw new Error(`request ${row.id} extends a grant that does not exist`);
    const role = this.policy.role(row.role);
    if (!role) throw new Error('checkMint lets no removed role through');
    const now = this.clock.now();
    const subject = { actor: row.recipient, requestId: row.id, action: 'extend' };
    const decision = firstRefusal([
      () => checkExtendable(grant, now),
      () => checkExtensionCap(role, grant, row.durationSeconds),
    ]);
    if (!decision.allowed) {
      // An extension of a grant that has ended can never be redeemed: it ends too.
      if (decision.reason === 'grant_not_active') await this.loader.expire(tx, row, 'system');
      const data = { grantId };
      return refuseDecision(tx, this.audit, 'credential.refused', { ...subject, data }, decision);
    }
    await auditDecision(tx, this.audit, subject, decision);
    const from = grant.expiresAt;
    const extended = Object.assign(new GrantRow(), grant, {
      expiresAt: extendedExpiry(grant, row.durationSeconds),
    });
    const provider = this.providers.forGrant(grant);
    const context = { signer, now, previousExpiresAt: from, extensionRequestId: row.id };
    if (!provider.extend) return this.refuseProvider(tx, row, provider, 'cannot extend');
    let access;
    try {
      access = await provider.extend(extended, context);
    } catch (error) {
      // Refused by the target: nothing moved there (a webhook answered no, ALTER ROLE failed).
      return this.refuseProvider(tx, row, provider, providerFailure(error));
    }
    const undo = { ...context, previousExpiresAt: extended.expiresAt, undo: true as const };
    reopened.push({ provider, grant, context: undo });
    const kid = access.kid ?? grant.kid;
    const change = { from, to: extended.expiresAt, kid, now: this.clock.now() };
    if (!(await this.grants.extend(tx, grant.id, change))) {
      // Its row held, the grant can only have passed its end meanwhile: as above, the extension
      // can never be redeemed now, so it ends too.
      await this.loader.expire(tx, row, 'system');
      const error = new DomainError(
        'invalid_state',
        'the grant ended while it was being extended',
        {
          reason: 'grant_not_active',
        },
      );
      return refuse(tx, this.audit, 'credential.refused', { ...subject, data: { grantId } }, error);
    }
    await this.markIssued(tx, row, grant, {
      from,
      to: extended.expiresAt,
      kid,
      provider,
      approvals,
    });
    return {
      grantId,
      expiresAt: extended.expiresAt.toISOString(),
      extended: { from: from.toISOString() },
      ...(access.credential ? { credential: access.credential } : {}),
    };
  }

  private async markIssued(
    tx: Tx,
    row: AccessRequestRow,
    grant: GrantRow,
    change: {
      from: Date;
      to: Date;
      kid: string;
      provider: CredentialProvider;
      approvals: readonly ApprovalRow[];
    },
  ): Promise<void> {
    const moved = await this.requests.transition(tx, row.id, 'approved', {
      status: 'issued',
      grantId: grant.id,
      deadlineAt: null,
    });
    if (!moved) throw new Error(`request ${row.id} changed under its lock`);
    await this.audit.append(tx, {
      type: 'grant.extended',
      actor: row.recipient,
      requestId: row.id,
      grantId: grant.id,
      data: {
        role: grant.role,
        provider: change.provider.type,
        grantRequestId: grant.requestId,
        previousExpiresAt: change.from.toISOString(),
        expiresAt: change.to.toISOString(),
        approvers: change.approvals.map((a) => a.approver),
        ...(change.kid && change.kid !== grant.kid ? { kid: change.kid } : {}),
      },
    });
    this.observer.requestChanged(tx, { requestId: row.id, kind: 'issued', actor: row.recipient });
  }

  private refuseProvider(
    tx: Tx,
    row: AccessRequestRow,
    provider: CredentialProvider,
    failure: string,
  ): Promise<Refusal> {
    const refusal = new DomainError(
      'unavailable',
      'the target system could not extend access; the extension is still approved, try again',
      { reason: 'provider_unavailable' },
    );
    const data = { provider: provider.type, error: failure.slice(0, 200) };
    const event = { actor: row.recipient, requestId: row.id, data };
    return refuse(tx, this.audit, 'credential.refused', event, refusal);
  }

  /**
   * Best effort, in the background, after the redeeming transaction failed: each end a provider
   * moved goes back to where the database still has it. What this misses cannot outlive the
   * grant: ending it closes its access at the target whatever the end there says.
   */
  restore(reopened: readonly Reopened[]): void {
    for (const { provider, grant, context } of reopened) {
      provider.extend?.(grant, context).catch(() => undefined);
    }
  }
}
