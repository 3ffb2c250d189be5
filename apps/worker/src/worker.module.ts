import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import {
  AuditVerifyTask,
  DatabaseLifecycle,
  RequestExpiryTask,
  BreakGlassEscalationTask,
  FollowUpTask,
  HealthController,
  coreProviders,
  revocationImports,
  revocationProviders,
} from '#access';
import type { CredentialProvider } from '#access';
import type { WorkerOptions } from 'bullmq';
import type { AppConfig } from '#config';
import { systemClock } from '#domain';
import type { NotifierOptions } from '#notify';
import { breakGlassAlertProviders, notifierProviders } from '#notify';

export interface WorkerModuleOptions {
  providers?: CredentialProvider[];
  workerOptions?: Partial<WorkerOptions>;
  /** The periodic sweep (on by default; tests that race sweeps themselves turn it off). */
  runSweep?: boolean;
  catchUpAtStartup?: boolean;
  /** Notification delivery settings (tests shorten the poll and the lease). */
  notifications?: Omit<NotifierOptions, 'dispatch'>;
}

/**
 * The background half of countersign: the BullMQ revocation worker, the revocation sweep, the
 * request-expiry sweep and the periodic verification of the audit log, with no API (only its
 * health checks and metrics, on WORKER_PORT). The broker runs the same tasks (but the audit log's
 * verification) in-process unless `revocation.worker: external`, so a single broker
 * is a complete install; the worker lets a larger install run them apart from the API, as many
 * replicas as it likes.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, options: WorkerModuleOptions = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ScheduleModule.forRoot(), TerminusModule, ...revocationImports(config)],
      controllers: [HealthController],
      providers: [
        ...coreProviders(config, systemClock),
        // The worker delivers the notification outbox (docs/notifications.md).
        ...notifierProviders(config, systemClock, { dispatch: true, ...options.notifications }),
        ...breakGlassAlertProviders(config),
        ...revocationProviders(config, systemClock, {
          ...options,
          runWorker: true,
          runSweep: options.runSweep ?? true,
        }),
        DatabaseLifecycle,
        RequestExpiryTask,
        BreakGlassEscalationTask,
        FollowUpTask,
        AuditVerifyTask,
      ],
    };
  }
}
