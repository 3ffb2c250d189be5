import { Controller, Get, Header, Optional, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { SinkDeliverer } from '#audit';
import { UnitOfWork } from '#persistence';
import { MetricsService, PolicyState, RedisHealth, checkReadiness } from '#access';

/**
 * The worker's only routes, for the orchestrator and Prometheus, without authentication like the
 * broker's: liveness, readiness (the broker's checks) and the metrics this process records, the
 * revocation lag and the overdue grants among them.
 */
@Controller()
export class WorkerOpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly uow: UnitOfWork,
    private readonly metrics: MetricsService,
    private readonly policy: PolicyState,
    @Optional() private readonly redis?: RedisHealth,
    @Optional() private readonly auditSinks?: SinkDeliverer,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const { httpStatus, body } = await checkReadiness(this.health, this.indicators, {
      uow: this.uow,
      redis: this.redis,
      auditSinks: this.auditSinks,
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
