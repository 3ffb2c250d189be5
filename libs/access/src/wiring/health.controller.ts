import { Controller, Get, Header, Optional, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { SinkDeliverer } from '#audit';
import { UnitOfWork } from '#persistence';
import { PolicyState } from '../policy-state.js';
import { MetricsService } from './metrics.service.js';
import { checkReadiness } from './readiness.js';
import { RedisHealth } from './redis-health.js';
import { ShutdownState } from './shutdown.js';

/**
 * Liveness, readiness and the metrics this process records, for the orchestrator and Prometheus,
 * without authentication: the worker's only routes, and the broker's (which marks them public for
 * its auth guard).
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly uow: UnitOfWork,
    private readonly metrics: MetricsService,
    private readonly policy: PolicyState,
    private readonly shutdown: ShutdownState,
    @Optional() private readonly redis?: RedisHealth,
    @Optional() private readonly auditSinks?: SinkDeliverer,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database and Redis (checkReadiness); 503 when one does not answer or while stopping. */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const { httpStatus, body } = await checkReadiness(this.health, this.indicators, {
      uow: this.uow,
      redis: this.redis,
      auditSinks: this.auditSinks,
      draining: () => this.shutdown.draining,
      policyHash: () => this.policy.hash,
    });
    res.status(httpStatus).json(body);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
