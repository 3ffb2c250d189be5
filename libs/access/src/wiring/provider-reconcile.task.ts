import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '#config';
import { ProviderRegistry } from '../providers/provider-registry.js';
import { ProviderReconciler } from '../providers/reconcile-providers.js';
import { APP_CONFIG, SWEEP_OPTIONS } from './tokens.js';

/**
 * Provider reconciliation on the sweep's schedule (docs/providers.md): at start-up and every
 * `revocation.sweepInterval`. A target that cannot be reached is logged and tried again next
 * time; it never delays start-up. Closes the providers' connections at shutdown.
 */
@Injectable()
export class ProviderReconcileTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProviderReconcile');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reconciler: ProviderReconciler,
    private readonly providers: ProviderRegistry,
    private readonly registry: SchedulerRegistry,
    @Inject(SWEEP_OPTIONS) private readonly options: { periodic: boolean; startup: boolean },
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a target that is down must not hold up readiness.
    if (this.options.startup) void this.reconcile();
    if (!this.options.periodic) return;
    const every = this.config.revocation.sweepInterval * 1000;
    this.registry.addInterval(
      'provider-reconcile',
      setInterval(() => void this.reconcile(), every),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.providers.close();
  }

  /** One run; overlapping calls are skipped (the next interval does the rest). */
  async reconcile(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const run = await this.reconciler.reconcile();
      if (run.removed > 0) this.logger.log(`removed ${run.removed} access(es) without a grant`);
      for (const failure of run.failures) this.logger.warn(`reconciliation: ${failure}`);
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
    } finally {
      this.running = false;
    }
  }
}
