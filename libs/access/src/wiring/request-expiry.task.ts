import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ExpireRequests } from '../expire-requests.js';
import type { AppConfig } from '#config';
import { RunOnce } from '#persistence';
import { APP_CONFIG } from './tokens.js';

/**
 * Runs the request-expiry sweep every `revocation.sweepInterval`, on one replica per interval
 * (RunOnce): each replica's sweep would expire each request once anyway (row lock, state re-checked
 * under it), but would scan the same overdue requests and queue behind the same row locks.
 */
@Injectable()
export class RequestExpiryTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('RequestExpiry');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly expire: ExpireRequests,
    private readonly runOnce: RunOnce,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.revocation.sweepInterval * 1000;
    this.scheduler.addInterval(
      'request-expiry',
      setInterval(() => void this.tick(), every),
    );
  }

  /** How many requests this process expired, or undefined when it did not sweep (not its turn). */
  async tick(): Promise<number | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (!(await this.runOnce.isMine('requestExpiry'))) return undefined;
      const expired = await this.expire.sweep();
      if (expired > 0) this.logger.log(`expired ${expired} request(s)`);
      return expired;
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
