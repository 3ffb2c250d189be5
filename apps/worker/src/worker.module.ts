import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DatabaseLifecycle, RequestExpiryTask, coreProviders } from '#access';
import type { AppConfig } from '#config';
import { systemClock } from '#domain';

/**
 * The background half of countersign, with no HTTP: today the request-expiry sweep. The broker
 * runs the same tasks in-process, so a single broker is a complete install; the worker lets a
 * larger install run them apart from the API.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ScheduleModule.forRoot()],
      providers: [...coreProviders(config, systemClock), DatabaseLifecycle, RequestExpiryTask],
    };
  }
}
