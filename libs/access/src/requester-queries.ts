import { Inject, Injectable } from '@nestjs/common';
import { LogIntegrator } from '#audit';
import type { Clock, Principal } from '#domain';
import { RequesterRepository, UnitOfWork } from '#persistence';
import { AccessQueries } from './queries.js';
import type { GrantView, RequestView } from './views.js';
import { toGrantView } from './views.js';
import { CLOCK } from './wiring/tokens.js';

/** One of the principal's own requests, with what became of it. */
export interface OwnRequestView extends RequestView {
  /** A denied request: who denied it and the reason they gave (its `request.denied` event). */
  denial?: { by: string; reason: string; at: string };
  /** An issued request: its grant, when the principal holds it. */
  grant?: GrantView;
}

export interface RequesterOverview {
  requests: OwnRequestView[];
  /** Grants the principal holds that are still active, ending soonest first. */
  activeGrants: GrantView[];
  now: Date;
}

const REQUESTS_SHOWN = 50;
const GRANTS_SHOWN = 100;

/**
 * What a requester's page shows (docs/api.md §6): its requests (through the API's scoped list),
 * their outcomes and its own grants. Only the principal's own: an admin sees here only what it
 * asked for and holds.
 */
@Injectable()
export class RequesterQueries {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly queries: AccessQueries,
    private readonly repository: RequesterRepository,
    private readonly integrator: LogIntegrator,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async overview(principal: Principal): Promise<RequesterOverview> {
    const { items } = await this.queries.requestList(principal, {
      mine: true,
      limit: REQUESTS_SHOWN,
    });
    const denied = items.filter((view) => view.status === 'denied').map((view) => view.id);
    // A denial's event may still be pending integration: the log is caught up first.
    if (denied.length > 0) await this.integrator.catchUp();
    const now = this.clock.now();
    return this.uow.read(async (db) => {
      const grantIds = items.flatMap((view) => (view.grantId ? [view.grantId] : []));
      const [grants, active, denials] = await Promise.all([
        this.repository.grantsOf(db, principal.id, grantIds),
        this.repository.activeGrantsOf(db, principal.id, GRANTS_SHOWN),
        this.repository.denials(db, denied),
      ]);
      const requests = items.map((view): OwnRequestView => {
        const grant = grants.find((row) => row.id === view.grantId);
        const denial = denials.find((row) => row.requestId === view.id);
        return {
          ...view,
          ...(grant ? { grant: toGrantView(grant, now) } : {}),
          ...(denial
            ? { denial: { by: denial.by, reason: denial.reason, at: denial.at.toISOString() } }
            : {}),
        };
      });
      return { requests, activeGrants: active.map((row) => toGrantView(row, now)), now };
    });
  }
}
