import type {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { SinkDeliverer } from '#audit';
import type { UnitOfWork } from '#persistence';
import type { RedisHealth } from './redis-health.js';

/** What a process's readiness depends on: the broker's and the worker's are the same. */
export interface ReadinessSources {
  uow: UnitOfWork;
  redis?: RedisHealth;
  auditSinks?: SinkDeliverer;
  /** True once the process was asked to stop (ShutdownState): not ready, whatever else says. */
  draining?: () => boolean;
  /** The hash of the policy in force (policyHash), reported so replicas can be compared. */
  policyHash?: () => string;
}

export interface ReadinessReport {
  httpStatus: 200 | 503;
  body: HealthCheckResult | { status: 'error' };
}

/** A stopping process's answer, without asking the database or Redis, which may be closing. */
const DRAINING: ReadinessReport = {
  httpStatus: 503,
  body: {
    status: 'error',
    info: {},
    error: { shutdown: { status: 'down', message: 'shutting down' } },
    details: { shutdown: { status: 'down', message: 'shutting down' } },
  },
};

/**
 * Not ready from the moment the process is asked to stop, so a load balancer sends elsewhere while
 * in-flight requests finish (drainOnSignal). Otherwise ready only when the database (and Redis, where configured) answer. A Redis that may evict
 * jobs is reported here but does not fail readiness: the sweep still guarantees revocation.
 * Nor does an audit sink that is behind: it is reported (docs/audit-sinks.md), the process
 * keeps serving, and the sink catches up from its cursor.
 */
export async function checkReadiness(
  health: HealthCheckService,
  indicators: HealthIndicatorService,
  { uow, redis, auditSinks, draining, policyHash }: ReadinessSources,
): Promise<ReadinessReport> {
  if (draining?.()) return DRAINING;
  const checks: HealthIndicatorFunction[] = [
    () =>
      indicators
        .check('database')
        .attempt(async () => {
          await uow.dataSource.query('SELECT 1');
        })
        .withTimeout(2000),
  ];
  if (redis) {
    checks.push(() =>
      indicators
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
  if (auditSinks) {
    checks.push(() =>
      indicators
        .check('auditSinks')
        .attempt(async () => ({
          sinks: Object.fromEntries(
            (await auditSinks.status()).map(({ name, ...status }) => [name, status]),
          ),
        }))
        .withTimeout(2000),
    );
  }
  if (policyHash) {
    checks.push(() => indicators.check('policy').up({ hash: policyHash() }));
  }
  try {
    return { httpStatus: 200, body: await health.check(checks) };
  } catch (error) {
    const body = (error as { response?: unknown }).response;
    return {
      httpStatus: 503,
      body: body && typeof body === 'object' ? (body as HealthCheckResult) : { status: 'error' },
    };
  }
}
