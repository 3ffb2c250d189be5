import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ChainVerification } from '#audit';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { AuditQueries } from '../audit-queries.js';
import { MetricsService } from './metrics.service.js';
import { APP_CONFIG, CLOCK, DATA_SOURCE } from './tokens.js';

// One verifier across every process on a PostgreSQL database: whoever first takes this session
// advisory lock keeps it, on a connection of its own, and verifies every interval; the others try
// each interval and take over within one when it stops or its connection dies. The key differs
// from the integrator's and the migrations'.
const VERIFY_LOCK = 0x636f7661; // "cova"

/**
 * Verifies the whole audit log every `audit.verifyInterval`, as `GET /v1/audit/verify` does, and
 * reports the result as the countersign_audit_verified gauges, so a rewritten log raises an alert
 * (deploy/prometheus/alerts.yml) without anyone asking. One run at a time.
 */
@Injectable()
export class AuditVerifyTask implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditVerify');
  private running = false;
  private turn?: QueryRunner;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly queries: AuditQueries,
    private readonly metrics: MetricsService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.audit.verifyInterval * 1000;
    this.scheduler.addInterval(
      'audit-verify',
      setInterval(() => void this.tick(), every),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.giveUpTurn();
  }

  /** The verification this process ran, or undefined when another holds the turn or it failed. */
  async tick(): Promise<ChainVerification | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      if (!(await this.holdsTurn())) return undefined;
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

  private async holdsTurn(): Promise<boolean> {
    if (this.dataSource.options.type !== 'postgres') return true; // one process per SQLite file
    if (this.turn) {
      try {
        // A session lock lasts as long as its connection: one that still answers still holds it.
        await this.turn.query('SELECT 1');
        return true;
      } catch {
        await this.giveUpTurn();
      }
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        VERIFY_LOCK,
      ])) as Array<{ locked: boolean }>;
      if (rows[0]?.locked === true) {
        this.turn = runner;
        return true;
      }
    } catch (error) {
      this.logger.warn(`cannot take the audit verification turn: ${String(error)}`);
    }
    await runner.release();
    return false;
  }

  private async giveUpTurn(): Promise<void> {
    const turn = this.turn;
    this.turn = undefined;
    if (!turn) return;
    try {
      await turn.query('SELECT pg_advisory_unlock($1)', [VERIFY_LOCK]);
    } catch {
      // The connection is gone, and the lock with it.
    } finally {
      await turn.release();
    }
  }
}
