import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Histogram } from 'prom-client';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { GrantRepository, UnitOfWork } from '#persistence';
import type { ExpirySource } from '../revocation/end-grants.js';
import { ExpireGrants } from '../revocation/expire-grants.js';
import type { RevocationScheduler } from '../revocation/revocation-scheduler.js';
import { BUCKET_MS } from '../revocation/revocation-scheduler.js';
import { MetricsService } from './metrics.service.js';
import { APP_CONFIG, CLOCK, REVOCATION_SCHEDULER, SWEEP_OPTIONS } from './tokens.js';

/**
 * The database sweep behind the fast path (docs/api.md §8): each `revocation.sweepInterval` it ends
 * every overdue grant and brings the schedules in line with what the database owes within the
 * scheduler's horizon (adding those the horizon reached, re-creating lost ones). At start-up it
 * catches up before the app finishes initialising, so a broker is never ready while it still owes
 * revocations.
 */
@Injectable()
export class RevocationSweepTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('RevocationSweep');
  private running = false;
  private readonly duration: Histogram;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
    private readonly expire: ExpireGrants,
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly registry: SchedulerRegistry,
    @Inject(SWEEP_OPTIONS) private readonly options: { periodic: boolean; startup: boolean },
    metrics: MetricsService,
  ) {
    this.duration = new Histogram({
      name: 'countersign_revocation_sweep_seconds',
      help: 'Wall time of each revocation sweep (ending overdue grants, reconciling schedules)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics.registry],
    });
  }

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
    const stopTimer = this.duration.startTimer();
    try {
      const run = await this.expire.expireDue(source);
      if (run.ended > 0) this.logger.log(`${source}: ended ${run.ended} overdue grant(s)`);
      if (run.failed > 0)
        this.logger.warn(`${source}: ${run.failed} provider revocation(s) failed; retrying`);
      await this.scheduler.schedule(run.retryAt);
      const now = this.clock.now();
      await this.uow.run((tx) => this.grants.purgeExpiredRevocations(tx, now));
      const horizon = new Date(now.getTime() + this.scheduler.horizonMs);
      const owed = await this.uow.read((db) =>
        this.grants.owedBuckets(db, now, horizon, BUCKET_MS),
      );
      await this.scheduler.reconcile(owed);
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
    } finally {
      stopTimer();
      this.running = false;
    }
  }
}
