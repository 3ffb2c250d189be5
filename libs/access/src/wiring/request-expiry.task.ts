import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ExpireRequests } from '../expire-requests.js';
import type { AppConfig } from '#config';
import { APP_CONFIG } from './tokens.js';

/** Runs the request-expiry sweep every `revocation.sweepInterval`; one run at a time. */
@Injectable()
export class RequestExpiryTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('RequestExpiry');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly expire: ExpireRequests,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.revocation.sweepInterval * 1000;
    this.scheduler.addInterval(
      'request-expiry',
      setInterval(() => void this.tick(), every),
    );
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const expired = await this.expire.sweep();
      if (expired > 0) this.logger.log(`expired ${expired} request(s)`);
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
    } finally {
      this.running = false;
    }
  }
}
