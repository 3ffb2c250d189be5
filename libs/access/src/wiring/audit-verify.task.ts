import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ChainVerification } from '#audit';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { RunOnce } from '#persistence';
import { AuditQueries } from '../audit-queries.js';
import { MetricsService } from './metrics.service.js';
import { APP_CONFIG, CLOCK } from './tokens.js';

/**
 * Verifies the whole audit log every `audit.verifyInterval`, as `GET /v1/audit/verify` does, and
 * reports the result as the countersign_audit_verified gauges, so a rewritten log raises an alert
 * (deploy/prometheus/alerts.yml) without anyone asking. One replica per interval (RunOnce): the
 * others skip while it holds the turn and take it over when it stops or its connection dies.
 */
@Injectable()
export class AuditVerifyTask implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditVerify');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly queries: AuditQueries,
    private readonly metrics: MetricsService,
    private readonly runOnce: RunOnce,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.audit.verifyInterval * 1000;
    this.scheduler.addInterval(
      'audit-verify',
      setInterval(() => void this.tick(), every),
    );
  }

  /** The verification this process ran, or undefined when another holds the turn or it failed. */
  async tick(): Promise<ChainVerification | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (!(await this.runOnce.isMine('auditVerify'))) return undefined;
      const result = await this.queries.verifyLog();
      // A verification that could not run (database down) changes nothing: the timestamp ages.
      this.metrics.auditLogVerified(result.ok, this.clock.now());
      if (!result.ok) {
        this.logger.error(
          `the audit log does not verify: ${result.reason ?? 'broken'} at event ${result.brokenAt ?? '?'}`,
        );
      }
      return result;
    } catch (error) {
      this.logger.error(error instanceof Error ? error : String(error));
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
