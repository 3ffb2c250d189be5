import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '#config';
import { RunOnce } from '#persistence';
import { ProviderRegistry } from '../providers/provider-registry.js';
import type { ReconcileRun } from '../providers/reconcile-providers.js';
import { ProviderReconciler } from '../providers/reconcile-providers.js';
import { APP_CONFIG, SWEEP_OPTIONS } from './tokens.js';

/**
 * Provider reconciliation on the sweep's schedule (docs/providers.md): at each replica's start, and
 * every `revocation.sweepInterval` on one replica (RunOnce), since every replica listing every
 * target each interval would multiply the load on the targets (removing is idempotent besides). A
 * target that cannot be reached is logged and tried again next time; it never delays start-up.
 * Closes the providers' connections at shutdown.
 */
@Injectable()
export class ProviderReconcileTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProviderReconcile');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reconciler: ProviderReconciler,
    private readonly providers: ProviderRegistry,
    private readonly runOnce: RunOnce,
    private readonly registry: SchedulerRegistry,
    @Inject(SWEEP_OPTIONS) private readonly options: { periodic: boolean; startup: boolean },
  ) {}

  onApplicationBootstrap(): void {
    // On every replica as it starts (it may be the one that left something behind), whoever has
    // the turn; in the background: a target that is down must not hold up readiness.
    if (this.options.startup) void this.reconcile('start-up');
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

  /**
   * One run, or undefined when skipped: overlapping calls, and an interval's call on the replicas
   * whose turn it is not (the next interval does the rest).
   */
  async reconcile(when: 'interval' | 'start-up' = 'interval'): Promise<ReconcileRun | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (when === 'interval' && !(await this.runOnce.isMine('providerReconcile')))
        return undefined;
      const run = await this.reconciler.reconcile();
      if (run.removed > 0) this.logger.log(`removed ${run.removed} access(es) without a grant`);
      for (const failure of run.failures) this.logger.warn(`reconciliation: ${failure}`);
      return run;
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
