import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '#config';
import { RunOnce } from '#persistence';
import type { FollowUpCounts } from '../follow-ups.js';
import { FollowUps } from '../follow-ups.js';
import { APP_CONFIG } from './tokens.js';

/** At most this long between follow-up checks, whatever the sweep interval. */
const MAX_CHECK_SECONDS = 60;

/**
 * Reminders, escalations, end-of-grant warnings and the outbox purge (FollowUps), every sweep
 * interval (at most a minute), on one replica per interval (RunOnce); every follow-up is recorded
 * by a guarded write besides, so a turn passing on between replicas sends nothing twice.
 */
@Injectable()
export class FollowUpTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('FollowUps');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly followUps: FollowUps,
    private readonly runOnce: RunOnce,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(this.config.revocation.sweepInterval, MAX_CHECK_SECONDS) * 1000;
    this.scheduler.addInterval(
      'follow-ups',
      setInterval(() => void this.tick(), every),
    );
  }

  /** What this process followed up, or undefined when it did not (not its turn, or failed). */
  async tick(): Promise<FollowUpCounts | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (!(await this.runOnce.isMine('notificationReminders'))) return undefined;
      const counts = await this.followUps.sweep();
      if (counts.reminded + counts.escalated + counts.warned > 0) {
        this.logger.log(
          `reminded ${counts.reminded}, escalated ${counts.escalated}, warned of ${counts.warned} grant end(s)`,
        );
      }
      return counts;
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
