import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { GrantRepository, UnitOfWork } from '#persistence';
import type { ExpirySource } from '../revocation/end-grants.js';
import { ExpireGrants } from '../revocation/expire-grants.js';
import type { RevocationScheduler } from '../revocation/revocation-scheduler.js';
import { APP_CONFIG, CLOCK, REVOCATION_SCHEDULER, SWEEP_OPTIONS } from './tokens.js';

/**
 * The database sweep behind the fast path (docs/api.md §8): each `revocation.sweepInterval` it ends
 * every overdue grant and re-creates lost schedules. At start-up it catches up before the app
 * finishes initialising, so a broker is never ready while it still owes revocations.
 */
@Injectable()
export class RevocationSweepTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('RevocationSweep');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
    private readonly expire: ExpireGrants,
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly registry: SchedulerRegistry,
    @Inject(SWEEP_OPTIONS) private readonly options: { periodic: boolean; startup: boolean },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.startup) await this.sweep('startup');
    if (!this.options.periodic) return;
    const every = this.config.revocation.sweepInterval * 1000;
    this.registry.addInterval(
      'revocation-sweep',
      setInterval(() => void this.sweep('sweep'), every),
    );
  }

  /** One sweep; overlapping calls are skipped (the next interval picks up the rest). */
  async sweep(source: Extract<ExpirySource, 'sweep' | 'startup'> = 'sweep'): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const run = await this.expire.expireDue(source);
      if (run.ended > 0) this.logger.log(`${source}: ended ${run.ended} overdue grant(s)`);
      if (run.failed > 0)
        this.logger.warn(`${source}: ${run.failed} provider revocation(s) failed; retrying`);
      await this.scheduler.schedule(run.retryAt);
      const future = await this.uow.read((db) => this.grants.futureExpiries(db, this.clock.now()));
      await this.scheduler.reconcile(future);
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
    } finally {
      this.running = false;
    }
  }
}
