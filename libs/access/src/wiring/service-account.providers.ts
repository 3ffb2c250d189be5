import type { OnApplicationBootstrap, Provider } from '@nestjs/common';
import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ServiceAccountRepository } from '#persistence';
import { ServiceAccounts } from '../service-accounts.js';

// Another broker's new service account reaches this one's ownership graph within this interval
// (at once when the account itself authenticates here).
const REFRESH_INTERVAL_MS = 10_000;

/**
 * Brings service-account owners into the ownership graph before the broker serves anything (a
 * loop between them and the config's owners stops start-up, naming it), then every 10 s.
 */
@Injectable()
export class ServiceAccountOwnersSync implements OnApplicationBootstrap {
  private readonly logger = new Logger('ServiceAccounts');

  constructor(
    private readonly accounts: ServiceAccounts,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.accounts.refreshOwners();
    this.scheduler.addInterval(
      'service-account-owners',
      setInterval(() => void this.refresh(), REFRESH_INTERVAL_MS),
    );
  }

  private async refresh(): Promise<void> {
    try {
      await this.accounts.refreshOwners();
    } catch (error) {
      // The graph in force stays; the next refresh tries again.
      this.logger.error(error instanceof Error ? error : String(error));
    }
  }
}

/** Service accounts with API keys, for the broker (the worker neither authenticates nor approves). */
export const serviceAccountProviders: Provider[] = [
  ServiceAccountRepository,
  ServiceAccounts,
  ServiceAccountOwnersSync,
];
