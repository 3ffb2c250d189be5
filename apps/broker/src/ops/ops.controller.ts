import { Controller, Get, Header, Optional, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorFunction } from '@nestjs/terminus';
import type { Response } from 'express';
import { SinkDeliverer } from '#audit';
import { LogKeys, SigningKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { Public } from '../http/public.decorator.js';
import { MetricsService, RedisHealth } from '#access';

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
    @Optional() private readonly redis?: RedisHealth,
    @Optional() private readonly auditSinks?: SinkDeliverer,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready only when the database (and Redis, where configured) answer. A Redis that may evict
   * jobs is reported here but does not fail readiness: the sweep still guarantees revocation.
   * Nor does an audit sink that is behind: it is reported (docs/audit-sinks.md), the broker
   * keeps serving, and the sink catches up from its cursor.
   */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const checks: HealthIndicatorFunction[] = [
      () =>
        this.indicators
          .check('database')
          .attempt(async () => {
            await this.uow.dataSource.query('SELECT 1');
          })
          .withTimeout(2000),
    ];
    const redis = this.redis;
    if (redis) {
      checks.push(() =>
        this.indicators
          .check('redis')
          .attempt(async () => {
            const status = await redis.status();
            if (!status.reachable) throw new Error('Redis does not answer');
            const safe =
              status.evictionPolicy === undefined || status.evictionPolicy === 'noeviction';
            return {
              evictionPolicy: status.evictionPolicy ?? 'unknown',
              ...(safe ? {} : { warning: 'set maxmemory-policy noeviction' }),
            };
          })
          .withTimeout(2000),
      );
    }
    const auditSinks = this.auditSinks;
    if (auditSinks) {
      checks.push(() =>
        this.indicators
          .check('auditSinks')
          .attempt(async () => ({
            sinks: Object.fromEntries(
              (await auditSinks.status()).map(({ name, ...status }) => [name, status]),
            ),
          }))
          .withTimeout(2000),
      );
    }
    try {
      res.status(200).json(await this.health.check(checks));
    } catch (error) {
      const body = (error as { response?: unknown }).response;
      res.status(503).json(body && typeof body === 'object' ? body : { status: 'error' });
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
