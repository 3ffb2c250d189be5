import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, Decision, RoleDefinition } from '#domain';
import {
  DomainError,
  canSeeGrant,
  checkExtendable,
  checkExtender,
  checkExtensionCap,
  checkRequester,
  deny,
  firstRefusal,
  openRequestDeadline,
  refusalError,
  resolveRequestInput,
} from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { GrantRow, Tx } from '#persistence';
import { AccessRequestRow, GrantRepository, RequestRepository, UnitOfWork } from '#persistence';
import type { Refusal } from '#persistence';
import { auditDecision, grantNotFound, invalidInput, refuse } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import { PolicyState } from './policy-state.js';
import { ProviderRegistry } from './providers/provider-registry.js';
import type { RequestView } from './views.js';
import { toRequestView } from './views.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

export interface ExtendGrantInput {
  durationSeconds?: number;
  justification?: string;
}

/**
 * `POST /v1/grants/:id/extend`: the grant's recipient asks for more time. The answer is a new
 * request (`extends: <grantId>`) of the grant's role, judged like any other: the recipient must be
 * a requester of the role, approvers are the role's under the same separation of duties (the
 * recipient asked, so neither it nor anyone linked to it approves), the same number of them. It is
 * redeemed like any other (`POST /v1/requests/:id/credentials`), which moves the grant's end
 * (grant-extender.ts). Refusals are `grant.refused` events naming the grant, with a reason code.
 */
@Injectable()
export class ExtendGrant {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly requests: RequestRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    private readonly providers: ProviderRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  execute(
    caller: AuthenticatedPrincipal,
    grantId: string,
    input: ExtendGrantInput,
  ): Promise<RequestView> {
    return this.uow.run(async (tx) => {
      // Locked: two extensions asked for at once are judged one after the other, and an ending
      // of the grant waits for this one (or this one sees it ended).
      const scope = this.policy.scopeFor(caller);
      const grant = await this.grants.findVisible(tx, scope, grantId, { lock: true });
      if (!grant || !canSeeGrant(this.policy.policy, caller, grant)) {
        const event = { actor: caller.id, data: { grantId, action: 'extend' } };
        return refuse(tx, this.audit, 'grant.refused', event, grantNotFound());
      }
      const role = this.policy.role(grant.role);
      const decision = firstRefusal([
        () => checkExtender(grant, caller.id),
        () => (role ? checkRequester(role, caller) : roleRemoved()),
        () => checkExtendable(grant, this.clock.now()),
      ]);
      if (!role || !decision.allowed) return this.refuseDecision(tx, caller, grant, decision);
      // Refused now rather than after approvers spent their time on it (an ssh certificate's
      // validity cannot move: the recipient asks for a new grant).
      if (!this.providers.forRole(role).extend) {
        const error = new DomainError(
          'invalid_state',
          `a ${role.provider.type} grant cannot be extended: ask for a new grant`,
          { reason: 'not_extendable' },
        );
        return this.refuse(tx, caller, grant, error);
      }
      const open = await this.requests.openExtensionOf(tx, grant.id);
      if (open) return this.refuse(tx, caller, grant, extensionPending(open.id));
      const resolved = resolveRequestInput(role, input);
      if (!resolved.ok) return this.refuse(tx, caller, grant, invalidInput(resolved.fields));
      const { durationSeconds, justification } = resolved.value;
      const cap = checkExtensionCap(role, grant, durationSeconds);
      if (!cap.allowed) return this.refuseDecision(tx, caller, grant, cap);
      const row = this.extensionRequest(caller, grant, role, durationSeconds, justification);
      await this.requests.insert(tx, row);
      await auditDecision(tx, this.audit, this.subject(caller, row.id), cap);
      await this.audit.append(tx, {
        type: 'request.created',
        actor: caller.id,
        requestId: row.id,
        grantId: grant.id,
        data: {
          role: row.role,
          resource: row.resource,
          recipient: row.recipient,
          duration: row.durationSeconds,
          approvalsRequired: row.approvalsRequired,
          extends: grant.id,
          expiresAt: grant.expiresAt.toISOString(),
          ...(row.justification === null ? {} : { justification: row.justification }),
          ...(row.intent === null ? {} : { intent: row.intent }),
        },
      });
      this.observer.requestCreated(row.role);
      this.observer.requestChanged(tx, { requestId: row.id, kind: 'created', actor: caller.id });
      return toRequestView(row, []);
    });
  }

  /** The extension request: the grant's role, recipient and scope (an intent when narrowed). */
  private extensionRequest(
    caller: AuthenticatedPrincipal,
    grant: GrantRow,
    role: RoleDefinition,
    durationSeconds: number,
    justification: string | undefined,
  ): AccessRequestRow {
    const now = this.clock.now();
    const narrowed =
      grant.resource !== role.resource ||
      grant.actions.length !== role.actions.length ||
      grant.actions.some((action) => !role.actions.includes(action));
    return Object.assign(new AccessRequestRow(), {
      id: randomUUID(),
      role: role.name,
      resource: role.resource,
      requester: caller.id,
      recipient: grant.recipient,
      justification: justification ?? null,
      durationSeconds,
      status: 'pending',
      approvalsRequired: role.approvalsRequired,
      createdAt: now,
      deadlineAt: openRequestDeadline({ status: 'pending', createdAt: now }, role) ?? null,
      decidedAt: null,
      grantId: null,
      intent: narrowed ? { actions: [...grant.actions], resource: grant.resource } : null,
      breakGlass: false,
      act: null,
      requesterGroups: [...caller.tokenGroups],
      extendsGrantId: grant.id,
    });
  }

  private subject(caller: AuthenticatedPrincipal, requestId?: string) {
    return { actor: caller.id, action: 'extend', ...(requestId ? { requestId } : {}) };
  }

  private async refuseDecision(
    tx: Tx,
    caller: AuthenticatedPrincipal,
    grant: GrantRow,
    decision: Decision,
  ): Promise<Refusal> {
    await auditDecision(tx, this.audit, this.subject(caller), decision);
    return this.refuse(tx, caller, grant, refusalError(decision));
  }

  private refuse(
    tx: Tx,
    caller: AuthenticatedPrincipal,
    grant: GrantRow,
    error: DomainError,
  ): Promise<Refusal> {
    const event = { actor: caller.id, grantId: grant.id, data: { action: 'extend' } };
    return refuse(tx, this.audit, 'grant.refused', event, error);
  }
}

const roleRemoved = () =>
  deny('extension.role', 'not_eligible', 'role_removed', "the grant's role no longer exists");

const extensionPending = (requestId: string) =>
  new DomainError(
    'invalid_state',
    `an extension of this grant is already open (request ${requestId}): wait for its outcome`,
    { reason: 'extension_pending' },
  );
