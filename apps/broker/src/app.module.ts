import type { DynamicModule, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { dirname, join } from 'node:path';
import type { AppConfig, LogLevel } from '#config';
import { loadConfig } from '#config';
import type { Clock } from '#domain';
import { systemClock } from '#domain';
import { DemoIssuer } from '#identity';
import type { NotifierOptions } from '#notify';
import { breakGlassAlertProviders, notifierProviders, slackInteractionProviders } from '#notify';
import { AuditController } from './api/audit.controller.js';
import { GrantsController } from './api/grants.controller.js';
import { IntrospectController } from './api/introspect.controller.js';
import { KeysController } from './api/keys.controller.js';
import { OpenApiController } from './api/openapi.controller.js';
import { RequestsController } from './api/requests.controller.js';
import { RevocationsController } from './api/revocations.controller.js';
import { RolesController } from './api/roles.controller.js';
import { ServiceAccountsController } from './api/service-accounts.controller.js';
import type { ConfigSource, CredentialProvider } from '#access';
import {
  CONFIG_SOURCE,
  PolicyReload,
  DatabaseLifecycle,
  RequestExpiryTask,
  BreakGlassEscalationTask,
  FollowUpTask,
  coreProviders,
  revocationImports,
  revocationProviders,
  RoleQueries,
  RotateSigningKey,
  serviceAccountProviders,
} from '#access';
import type { WorkerOptions } from 'bullmq';
import { AuthGuard } from './http/auth.guard.js';
import { RateLimitGuard } from './http/rate-limit.guard.js';
import { UnauthenticatedLimiter } from './http/unauthenticated-limiter.js';
import { DemoController } from './ops/demo.controller.js';
import { BreakGlassController } from './api/break-glass.controller.js';
import { PolicyController } from './api/policy.controller.js';
import { BrokerHealthController, OpsController } from './ops/ops.controller.js';
import { SlackController } from './slack/slack.controller.js';
import { SshController } from './api/ssh.controller.js';
import { StartupService } from './startup.service.js';
import { webControllers, webProviders } from './web/index.js';

export interface BrokerOptions {
  clock?: Clock;
  /** Overrides the config's `logLevel` (tests run silent). */
  logLevel?: LogLevel;
  /** Periodic sweeps; tests that drive time themselves turn them off. */
  backgroundJobs?: boolean;
  /** Credential providers by type (tests inject failing ones); `jwt` by default. */
  providers?: CredentialProvider[];
  /** BullMQ worker settings (tests shorten locks). */
  workerOptions?: Partial<WorkerOptions>;
  /** Where a policy reload reads the config (tests); COUNTERSIGN_CONFIG by default. */
  configSource?: ConfigSource;
  /** Notification delivery settings (tests shorten the poll and the lease). */
  notifications?: Omit<NotifierOptions, 'dispatch'>;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: BrokerOptions = {}): DynamicModule {
    const demo = config.demo ? this.demoIssuer(config) : [];
    const clock = options.clock ?? systemClock;
    return {
      module: AppModule,
      imports: [ScheduleModule.forRoot(), TerminusModule, ...revocationImports(config)],
      controllers: [
        RequestsController,
        GrantsController,
        IntrospectController,
        AuditController,
        BreakGlassController,
        PolicyController,
        BrokerHealthController,
        OpsController,
        RevocationsController,
        ServiceAccountsController,
        RolesController,
        KeysController,
        OpenApiController,
        SshController,
        ...(config.demo ? [DemoController] : []),
        ...(config.slack ? [SlackController] : []),
        ...webControllers(config),
      ],
      providers: [
        ...coreProviders(config, clock),
        ...serviceAccountProviders,
        RoleQueries,
        RotateSigningKey,
        ...notifierProviders(config, clock, {
          dispatch: config.revocation.worker === 'inline',
          ...options.notifications,
        }),
        ...breakGlassAlertProviders(config),
        ...slackInteractionProviders(config, clock),
        ...revocationProviders(config, clock, {
          providers: options.providers,
          runWorker: config.revocation.worker === 'inline',
          runSweep: options.backgroundJobs !== false,
          workerOptions: options.workerOptions,
        }),
        ...demo,
        ...webProviders(config),
        StartupService,
        PolicyReload,
        { provide: CONFIG_SOURCE, useValue: options.configSource ?? (() => loadConfig()) },
        DatabaseLifecycle,
        ...(options.backgroundJobs === false
          ? []
          : [RequestExpiryTask, BreakGlassEscalationTask, FollowUpTask]),
        UnauthenticatedLimiter,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }

  private static demoIssuer(config: AppConfig): Provider[] {
    const issuer = config.issuers.find((candidate) => candidate.name === 'demo');
    if (!issuer) throw new Error('the demo config has no demo issuer');
    // Beside the demo's SQLite database (./data by default), so demo tokens survive a restart.
    const dataDir = config.database.type === 'sqlite' ? dirname(config.database.path) : './data';
    const keyFile = join(dataDir, 'demo-issuer-key.json');
    return [
      {
        provide: DemoIssuer,
        useFactory: () => DemoIssuer.create(issuer, config.demoUsers, keyFile),
      },
    ];
  }
}
