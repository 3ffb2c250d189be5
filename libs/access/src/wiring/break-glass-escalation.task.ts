import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '#config';
import { RunOnce } from '#persistence';
import { EscalateBreakGlass } from '../break-glass/escalate.js';
import { APP_CONFIG } from './tokens.js';

/** At most this long between escalation checks, whatever the sweep interval. */
const MAX_CHECK_SECONDS = 60;

/**
 * Escalates overdue break-glass reviews every sweep interval (at most a minute), on one replica per
 * interval (RunOnce); rows are claimed with SKIP LOCKED besides, so an escalation is sent once even
 * when two replicas sweep together (a turn passing on).
 */
@Injectable()
export class BreakGlassEscalationTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('BreakGlass');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly escalate: EscalateBreakGlass,
    private readonly runOnce: RunOnce,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(this.config.revocation.sweepInterval, MAX_CHECK_SECONDS) * 1000;
    this.scheduler.addInterval(
      'break-glass-escalation',
      setInterval(() => void this.tick(), every),
    );
  }

  /** How many escalations this process sent, or undefined when it did not sweep (not its turn). */
  async tick(): Promise<number | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (!(await this.runOnce.isMine('breakGlassEscalation'))) return undefined;
      const sent = await this.escalate.sweep();
      if (sent > 0) this.logger.warn(`escalated ${sent} unreviewed break-glass activation(s)`);
      return sent;
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
