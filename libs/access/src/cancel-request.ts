import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, Principal } from '#domain';
import { checkCanceller, refusalError } from '#domain';
import { Refusal, RequestRepository, UnitOfWork } from '#persistence';
import { refuse } from './audit-helpers.js';
import type { AccessObserver } from './observer.js';
import { RequestLoader, invalidStateFor } from './request-loader.js';
import type { RequestView } from './views.js';
import { toRequestView } from './views.js';
import { CLOCK, OBSERVER } from './wiring/tokens.js';

@Injectable()
export class CancelRequest {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBSERVER) private readonly observer: AccessObserver,
  ) {}

  async execute(principal: Principal, id: string): Promise<RequestView> {
    return this.uow.run(async (tx) => {
      const row = await this.loader.forAction(tx, principal, id, 'request.refused');
      if (row instanceof Refusal) return row;
      const event = { actor: principal.id, requestId: row.id, data: { action: 'cancel' } };
      const canceller = checkCanceller(row, principal);
      if (!canceller.allowed)
        return refuse(tx, this.audit, 'request.refused', event, refusalError(canceller));
      if (row.status !== 'pending')
        return refuse(tx, this.audit, 'request.refused', event, invalidStateFor(row, 'cancel'));
      const now = this.clock.now();
      await this.requests.transition(tx, row.id, 'pending', {
        status: 'cancelled',
        decidedAt: now,
        deadlineAt: null,
      });
      Object.assign(row, { status: 'cancelled', decidedAt: now, deadlineAt: null });
      await this.audit.append(tx, {
        type: 'request.cancelled',
        actor: principal.id,
        requestId: row.id,
      });
      this.observer.requestDecided(row.role, 'cancelled');
      this.observer.requestChanged(tx, {
        requestId: row.id,
        kind: 'cancelled',
        actor: principal.id,
      });
      return toRequestView(row, await this.requests.approvals(tx, [row.id]));
    });
  }
}
