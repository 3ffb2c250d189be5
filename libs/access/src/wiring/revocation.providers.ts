import type { DynamicModule, Provider } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue, WorkerOptions } from 'bullmq';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { GrantRepository, UnitOfWork } from '#persistence';
import { PolicyState } from '../policy-state.js';
import { BullmqRevocationScheduler, REVOCATION_QUEUE } from '../revocation/bullmq-scheduler.js';
import { scheduleHorizonMs } from '../revocation/revocation-scheduler.js';
import type { CredentialProvider } from '../providers/credential-provider.js';
import { ProviderRegistry } from '../providers/provider-registry.js';
import { ProviderReconciler } from '../providers/reconcile-providers.js';
import { GrantEnder } from '../revocation/end-grants.js';
import { ExpireGrants } from '../revocation/expire-grants.js';
import { TimerRevocationScheduler } from '../revocation/timer-scheduler.js';
import { useEndingRedisForBullmq } from './ending-redis.js';
import { MetricsService } from './metrics.service.js';
import { RedisHealth } from './redis-health.js';
import { createRevocationProcessor, revocationWorkerOptions } from './revocation.processor.js';
import { RevocationSweepTask } from './revocation-sweep.task.js';
import { ProviderReconcileTask } from './provider-reconcile.task.js';
import { CREDENTIAL_PROVIDERS, REVOCATION_SCHEDULER, SWEEP_OPTIONS } from './tokens.js';

export interface RevocationOptions {
  /** Replace every provider of their type (tests inject failing ones); built from config otherwise. */
  providers?: CredentialProvider[];
  /** Run the BullMQ worker in this process (Redis only). */
  runWorker: boolean;
  /** Run the periodic sweep (off in tests that drive time themselves). */
  runSweep: boolean;
  /** Catch up on overdue grants at start-up (default on; only job-path tests turn it off). */
  catchUpAtStartup?: boolean;
  workerOptions?: Partial<WorkerOptions>;
}

/** BullMQ's root connection and the revocations queue, when Redis is configured. */
export function revocationImports(config: AppConfig): DynamicModule[] {
  if (!config.redisUrl) return [];
  useEndingRedisForBullmq();
  return [
    // maxRetriesPerRequest: null is what BullMQ workers require (blocking commands must not fail).
    BullModule.forRoot({
      connection: { url: config.redisUrl, maxRetriesPerRequest: null },
      prefix: config.revocation.queuePrefix,
    }),
    BullModule.registerQueue({ name: REVOCATION_QUEUE }),
  ];
}

/** Scheduled revocation: the batch use case, a scheduler, the sweep, and (maybe) the worker. */
export function revocationProviders(
  config: AppConfig,
  clock: Clock,
  options: RevocationOptions,
): Provider[] {
  const horizonMs = scheduleHorizonMs(config.revocation.sweepInterval);
  const providers: Provider[] = [
    { provide: CREDENTIAL_PROVIDERS, useValue: options.providers ?? [] },
    {
      provide: ProviderRegistry,
      useFactory: (overrides: CredentialProvider[], policy: PolicyState) =>
        new ProviderRegistry(policy, overrides),
      inject: [CREDENTIAL_PROVIDERS, PolicyState],
    },
    {
      provide: ProviderReconciler,
      useFactory: (uow: UnitOfWork, registry: ProviderRegistry) =>
        new ProviderReconciler(uow, registry, clock),
      inject: [UnitOfWork, ProviderRegistry],
    },
    GrantEnder,
    {
      provide: ExpireGrants,
      useFactory: (
        uow: UnitOfWork,
        grants: GrantRepository,
        ender: GrantEnder,
        metrics: MetricsService,
      ) => {
        metrics.measureOverdue(() => uow.read((db) => grants.countOverdue(db, clock.now())));
        return new ExpireGrants(uow, grants, ender, clock);
      },
      inject: [UnitOfWork, GrantRepository, GrantEnder, MetricsService],
    },
    config.redisUrl
      ? {
          provide: REVOCATION_SCHEDULER,
          useFactory: (queue: Queue, metrics: MetricsService) => {
            metrics.measureQueueDepth(() =>
              queue.getJobCounts('delayed', 'waiting', 'active', 'failed'),
            );
            return new BullmqRevocationScheduler(queue, horizonMs);
          },
          inject: [getQueueToken(REVOCATION_QUEUE), MetricsService],
        }
      : {
          provide: REVOCATION_SCHEDULER,
          useFactory: (expire: ExpireGrants) => new TimerRevocationScheduler(expire, horizonMs),
          inject: [ExpireGrants],
        },
  ];
  providers.push(RevocationSweepTask, ProviderReconcileTask, {
    provide: SWEEP_OPTIONS,
    useValue: { periodic: options.runSweep, startup: options.catchUpAtStartup ?? true },
  });
  if (config.redisUrl) providers.push(RedisHealth);
  if (config.redisUrl && options.runWorker) {
    providers.push(createRevocationProcessor(revocationWorkerOptions(options.workerOptions)));
  }
  return providers;
}
