import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, RoleDefinition } from '#domain';
import {
  checkDelegation,
  checkRecipient,
  checkRequester,
  firstRefusal,
  invalidRequest,
  openRequestDeadline,
  resolveRequestInput,
} from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { AccessRequestRow, RequestRepository, UnitOfWork } from '#persistence';
import type { AccessObserver } from './observer.js';
import { auditDecision, invalidInput, refuseRequest } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import { refuseRequestDecision, refuseUnknownRole } from './role-refusal.js';
import type { RequestView } from './views.js';
import { toRequestView } from './views.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

export interface CreateRequestInput {
  role: string;
  durationSeconds?: number;
  justification?: string;
  recipient?: string;
  /** Narrows the role: a subset of its actions, optionally a resource under its own. */
  intent?: { actions: string[]; resource?: string };
  /** An agent asking for a person who delegated to it: the person becomes the recipient. */
  onBehalfOf?: string;
}

@Injectable()
export class CreateRequest {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async execute(
    requester: AuthenticatedPrincipal,
    input: CreateRequestInput,
  ): Promise<RequestView> {
    return this.uow.run(async (tx) => {
      const actor = requester.id;
      const subject = { actor, action: 'request' };
      if (input.onBehalfOf !== undefined && input.recipient !== undefined) {
        const error = invalidRequest([
          { field: 'onBehalfOf', message: 'names the recipient: do not give both' },
        ]);
        return refuseRequest(tx, this.audit, actor, input.role, error);
      }
      // Whether the role exists is told only to its requesters (role-refusal.ts): every check
      // that could tell it runs after checkRequester.
      const role = this.policy.role(input.role);
      if (!role) return refuseUnknownRole(tx, this.audit, actor, input.role);
      const recipient = input.onBehalfOf ?? input.recipient ?? requester.id;
      const decision = input.onBehalfOf
        ? this.checkOnBehalf(role, requester, input.onBehalfOf)
        : firstRefusal([
            () => checkRequester(role, requester),
            () => checkRecipient(this.policy.context.graph, requester.id, recipient),
          ]);
      if (!decision.allowed) return refuseRequestDecision(tx, this.audit, subject, decision);
      const resolved = resolveRequestInput(role, input);
      if (!resolved.ok) {
        return refuseRequest(tx, this.audit, actor, role.name, invalidInput(resolved.fields));
      }
      const now = this.clock.now();
      const row: AccessRequestRow = Object.assign(new AccessRequestRow(), {
        id: randomUUID(),
        role: role.name,
        resource: role.resource,
        requester: requester.id,
        recipient,
        justification: resolved.value.justification ?? null,
        durationSeconds: resolved.value.durationSeconds,
        status: 'pending',
        approvalsRequired: role.approvalsRequired,
        createdAt: now,
        deadlineAt: openRequestDeadline({ status: 'pending', createdAt: now }, role) ?? null,
        decidedAt: null,
        grantId: null,
        intent: resolved.value.intent
          ? {
              actions: [...resolved.value.intent.actions],
              resource: resolved.value.intent.resource,
            }
          : null,
        breakGlass: false,
        act: input.onBehalfOf ? requester.id : null,
        requesterGroups: [...requester.tokenGroups],
      });
      await this.requests.insert(tx, row);
      await auditDecision(tx, this.audit, { ...subject, requestId: row.id }, decision);
      await this.audit.append(tx, {
        type: 'request.created',
        actor,
        requestId: row.id,
        data: {
          role: row.role,
          resource: row.resource,
          recipient: row.recipient,
          duration: row.durationSeconds,
          approvalsRequired: row.approvalsRequired,
          ...(row.justification === null ? {} : { justification: row.justification }),
          ...(row.intent === null ? {} : { intent: row.intent }),
          ...(row.act === null ? {} : { onBehalfOf: row.recipient }),
        },
      });
      this.observer.requestCreated(row.role);
      this.observer.requestChanged(tx, { requestId: row.id, kind: 'created', actor });
      return toRequestView(row, []);
    });
  }

  /**
   * An agent asking on a person's behalf: the agent must be a requester of the role itself (first,
   * so that a missing delegation tells no one else that the role exists), and the person must have
   * delegated to it. (The person's own groups are unknown here: no token of theirs is at hand, so
   * their eligibility cannot be checked and is not assumed.)
   */
  private checkOnBehalf(role: RoleDefinition, agent: AuthenticatedPrincipal, person: string) {
    return firstRefusal([
      () => checkRequester(role, agent),
      () => checkDelegation(this.policy.delegatorsOf(agent.id), agent.id, person),
    ]);
  }
}
