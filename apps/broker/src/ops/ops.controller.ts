import { Controller, Get, Header, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { SigningKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { Public } from '../http/public.decorator.js';
import { MetricsService } from '#access';

@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly uow: UnitOfWork,
    private readonly keys: SigningKeys,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready only when the database answers; terminus reports 503 with the failing check otherwise. */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    try {
      const result = await this.health.check([
        () =>
          this.indicators
            .check('database')
            .attempt(async () => {
              await this.uow.dataSource.query('SELECT 1');
            })
            .withTimeout(2000),
      ]);
      res.status(200).json(result);
    } catch {
      res.status(503).json({ status: 'error', checks: { database: 'down' } });
    }
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<object> {
    return this.keys.jwks();
  }
}
