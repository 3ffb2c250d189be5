import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '#domain';
import { isPastDeadline } from '#domain';
import { RequestRepository, SYSTEM_SCOPE, UnitOfWork } from '#persistence';
import { RequestLoader } from './request-loader.js';
import { CLOCK } from './wiring/tokens.js';

const BATCH = 200;

/**
 * Expires open requests past their deadline (`requestTimeout` while pending, `redeemWithin` once
 * approved), and open extensions of grants that have ended (reason `grant_ended`: their approvers
 * are no longer asked, and their messages show them expired). Actions on a request check its deadline and
 * its grant themselves; this sweep makes the state and the audit log catch up for requests nobody
 * touches again. Apart from the grant's end on purpose: ending grants holds their row locks, and
 * taking their extensions' there would lock in the opposite order to an extension's redemption.
 */
@Injectable()
export class ExpireRequests {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly loader: RequestLoader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns how many requests this call expired. */
  async sweep(): Promise<number> {
    return (await this.pastDeadline()) + (await this.ofEndedGrants());
  }

  private async pastDeadline(): Promise<number> {
    let expired = 0;
    for (;;) {
      const due = await this.uow.read((db) => this.requests.overdue(db, this.clock.now(), BATCH));
      for (const candidate of due) {
        const moved = await this.uow.run(async (tx) => {
          const row = await this.requests.findVisible(tx, SYSTEM_SCOPE, candidate.id, {
            lock: true,
          });
          // Re-checked under the lock: an approval may have moved the deadline since the scan.
          if (!row || !isPastDeadline(row.deadlineAt ?? undefined, this.clock.now())) return false;
          return this.loader.expire(tx, row, 'system');
        });
        if (moved) expired += 1;
      }
      if (due.length < BATCH) return expired;
    }
  }

  private async ofEndedGrants(): Promise<number> {
    let expired = 0;
    for (;;) {
      const orphans = await this.uow.read((db) => this.requests.orphanedExtensions(db, BATCH));
      for (const candidate of orphans) {
        const moved = await this.uow.run(async (tx) => {
          const row = await this.requests.findVisible(tx, SYSTEM_SCOPE, candidate.id, {
            lock: true,
          });
          // A grant that has ended stays ended: only the request's own state is re-checked.
          if (!row || (row.status !== 'pending' && row.status !== 'approved')) return false;
          return this.loader.expire(tx, row, 'system', 'grant_ended');
        });
        if (moved) expired += 1;
      }
      if (orphans.length < BATCH) return expired;
    }
  }
}
