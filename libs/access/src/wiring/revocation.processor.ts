import { Inject, Logger } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, WorkerOptions } from 'bullmq';
import { ExpireGrants } from '../revocation/expire-grants.js';
import { CAPPED_BACKOFF, REVOCATION_QUEUE } from '../revocation/bullmq-scheduler.js';
import type { RevocationScheduler } from '../revocation/revocation-scheduler.js';
import { closeWorker } from './close-worker.js';
import { redisErrorLog } from './redis-error-log.js';
import { REVOCATION_SCHEDULER } from './tokens.js';

const MAX_RETRY_DELAY_MS = 60_000;
const GRACEFUL_CLOSE_MS = 10_000;

/** Production worker settings; tests shorten the lock so a killed worker's job is retried sooner. */
export function revocationWorkerOptions(
  overrides: Partial<WorkerOptions> = {},
): Partial<WorkerOptions> {
  return {
    // Two runs at once overlap one batch's claim and UPDATE with another's audit insert and COMMIT
    // (SKIP LOCKED keeps them apart): 100k due together drain in 6.1 s instead of 9.6 s; four
    // runs are no faster on two cores (docs/performance.md).
    concurrency: 2,
    // A job whose worker died is moved back to wait after its lock lapses, and retried; it is
    // never failed for stalling (the sweep would end its grants anyway, later).
    maxStalledCount: 1_000_000,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === CAPPED_BACKOFF
          ? Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), MAX_RETRY_DELAY_MS)
          : 1000,
    },
    ...overrides,
  };
}

/**
 * The job processor, thin by design: a job only says "something is due"; the shared use case ends
 * everything due, idempotently. A failure is rethrown so BullMQ retries it with capped backoff.
 */
export function createRevocationProcessor(options: Partial<WorkerOptions>) {
  @Processor(REVOCATION_QUEUE, options)
  class RevocationProcessor extends WorkerHost {
    private readonly logger = new Logger('RevocationWorker');
    private readonly logRedisError = redisErrorLog(this.logger, 'revocation worker');

    constructor(
      private readonly expire: ExpireGrants,
      @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
    ) {
      super();
    }

    async process(job: Job<{ dueAt: number }>): Promise<{ ended: number; failed: number }> {
      const run = await this.expire.expireDue('job');
      await this.scheduler.schedule(run.retryAt);
      if (run.ended > 0) this.logger.debug(`job ${job.id ?? '?'} ended ${run.ended} grant(s)`);
      return { ended: run.ended, failed: run.failed };
    }

    /**
     * SIGTERM: stop taking jobs and let the one in hand finish, before the database closes (that
     * happens in the later onApplicationShutdown phase), within half of the default
     * SHUTDOWN_TIMEOUT (20 s) so that a Redis outage cannot hold the process up until it is killed.
     */
    async beforeApplicationShutdown(): Promise<void> {
      await closeWorker(this.worker, GRACEFUL_CLOSE_MS, this.logger);
    }

    @OnWorkerEvent('error')
    onError(error: Error): void {
      this.logRedisError(error);
    }

    @OnWorkerEvent('failed')
    onFailed(job: Job | undefined, error: Error): void {
      this.logger.warn(
        `revocation job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}), will retry: ${error.message}`,
      );
    }
  }
  return RevocationProcessor;
}
