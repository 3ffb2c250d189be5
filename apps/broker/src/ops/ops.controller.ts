import { Controller, Get, Header, Optional, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { SinkDeliverer } from '#audit';
import { LogKeys, SigningKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { Public } from '../http/public.decorator.js';
import { MetricsService, PolicyState, RedisHealth, checkReadiness } from '#access';

@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly uow: UnitOfWork,
    private readonly keys: SigningKeys,
    private readonly logKeys: LogKeys,
    private readonly metrics: MetricsService,
    private readonly policy: PolicyState,
    @Optional() private readonly redis?: RedisHealth,
    @Optional() private readonly auditSinks?: SinkDeliverer,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database and Redis, as the worker's (checkReadiness); 503 when one does not answer. */
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

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<object> {
    return this.keys.jwks();
  }

  /** Keys for receipts and evidence, retired ones included (docs/evidence.md). */
  @Get('.well-known/countersign-evidence-keys.json')
  @Header('Cache-Control', 'public, max-age=60')
  evidenceKeys(): Promise<object> {
    return this.keys.evidenceKeys();
  }

  /** The audit log's note verifier key, for its signed checkpoints (docs/api-extensions.md). */
  @Get('.well-known/countersign-log-key')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=60')
  async logKey(): Promise<string> {
    return `${await this.logKeys.verifierKey()}\n`;
  }

  /** Every log key's verifier key, oldest first, one a line: checkpoints signed before a rotation. */
  @Get('.well-known/countersign-log-keys')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=60')
  async allLogKeys(): Promise<string> {
    return (await this.logKeys.verifierKeys()).map((vkey) => `${vkey}\n`).join('');
  }
}
