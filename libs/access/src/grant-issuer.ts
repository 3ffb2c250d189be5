import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { CredentialSigner } from '#credentials';
import { SshCertificateAuthority } from '#credentials';
import type { Clock } from '#domain';
import { DomainError } from '#domain';
import type { AccessRequestRow, ApprovalRow, Tx, Refusal } from '#persistence';
import { GrantRepository, GrantRow, RequestRepository } from '#persistence';
import { refuse } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import { PolicyState } from './policy-state.js';
import type { Credential, CredentialProvider, MintInput } from './providers/credential-provider.js';
import { providerFailure } from './providers/credential-provider.js';
import { ProviderRegistry } from './providers/provider-registry.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

export interface MintedCredential {
  grantId: string;
  expiresAt: string;
  credential: Credential;
}

/** Access a provider opened in a mint transaction, to close again if that transaction fails. */
export interface Opened {
  provider: CredentialProvider;
  grant: GrantRow;
}

/**
 * Turns a request the caller has cleared (approved, or activated through break-glass) into a
 * grant inside the caller's transaction: the provider opens access, the grant row and the
 * request's move to `issued` commit together, with `credential.issued`.
 */
@Injectable()
export class GrantIssuer {
  constructor(
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly providers: ProviderRegistry,
    private readonly sshAuthority: SshCertificateAuthority,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  /**
   * The provider opens access first, inside the transaction: if it fails, nothing but the refusal
   * commits and the request stays `approved` for a later try. The grant id is its idempotency key.
   */
  async issue(
    tx: Tx,
    signer: CredentialSigner,
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
    opened: Opened[],
    mint: MintInput = {},
  ): Promise<MintedCredential | Refusal> {
    const role = this.policy.role(row.role)!;
    const issuedAt = this.clock.now();
    const expiresAt = new Date(issuedAt.getTime() + row.durationSeconds * 1000);
    const grantId = randomUUID();
    const approvers = approvals.map((a) => a.approver);
    // An approved intent is exactly what the credential carries: its `aud` and `scope`.
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
      breakGlass: row.breakGlass,
      act: row.act,
    });
    const provider = this.providers.forRole(role);
    opened.push({ provider, grant });
    let issued;
    try {
      issued = await provider.grant(grant, {
        signer,
        tx,
        mint,
        sshAuthority: this.sshAuthority,
      });
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
  withdraw(opened: readonly Opened[]): void {
    for (const { provider, grant } of opened) {
      provider.revoke(grant).catch(() => undefined);
    }
  }
}
