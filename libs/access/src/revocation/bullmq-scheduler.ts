import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { RevocationScheduler } from './revocation-scheduler.js';
import { bucketsWithin } from './revocation-scheduler.js';
import { TIMED_OUT, waitAtMost } from '../wait-at-most.js';
import { redisErrorLog } from '../wiring/redis-error-log.js';

export const REVOCATION_QUEUE = 'revocations';
export const EXPIRE_JOB = 'expire';

// A failed run is retried by BullMQ with this capped backoff (see revocation.processor.ts);
// attempts are effectively unlimited because giving up would leave access in place.
export const JOB_ATTEMPTS = 1_000_000;
export const CAPPED_BACKOFF = 'capped';
// An add that cannot reach Redis must not hold up a mint: the sweep covers whatever is missed.
const ADD_TIMEOUT_MS = 1000;
// How long a sweep waits for a reconcile; the reconcile itself runs on until Redis answers.
const RECONCILE_WAIT_MS = 1000;
// A reconcile still unanswered after this long is left behind and a new one starts.
const RECONCILE_STALE_MS = 30_000;
const ADD_CHUNK = 1000;

export function jobIdFor(bucket: number): string {
  // Deterministic per bucket, so scheduling twice never doubles a job. No ':' (BullMQ 6).
  return `expire-${bucket}`;
}

/** BullMQ delayed jobs, one per expiry bucket within the horizon, carrying only their instant. */
export class BullmqRevocationScheduler implements RevocationScheduler {
  private readonly logger = new Logger('RevocationQueue');
  /** Buckets this process has seen Redis accept, forgotten once due: what needs no re-send. */
  private readonly added = new Set<number>();
  /**
   * When the reconcile under way started. One at a time: against a slow or absent Redis a sweep
   * stops waiting after RECONCILE_WAIT_MS but the send goes on, and sweeps must not pile more up
   * behind it (until it is RECONCILE_STALE_MS old: a reply that never comes must not stop them).
   */
  private reconcilingSince?: number;

  constructor(
    private readonly queue: Queue,
    readonly horizonMs: number,
  ) {
    queue.on('error', redisErrorLog(this.logger, 'revocation queue'));
  }

  async schedule(instants: readonly Date[]): Promise<void> {
    const buckets = bucketsWithin(instants, Date.now(), this.horizonMs).filter(
      (bucket) => !this.added.has(bucket),
    );
    if (buckets.length === 0) return;
    let failure: string | undefined;
    try {
      const sent = await waitAtMost(this.add(buckets), ADD_TIMEOUT_MS);
      if (sent === TIMED_OUT) failure = `timed out after ${ADD_TIMEOUT_MS} ms`;
    } catch (error) {
      failure = describe(error);
    }
    // Not marked as added: the next sweep sends it again.
    if (failure)
      this.logger.warn(
        `could not schedule ${buckets.length} revocation job(s), the sweep will: ${failure}`,
      );
  }

  /**
   * Adds the owed buckets not yet sent, then compares the delayed jobs Redis holds with the owed
   * buckets still to come: fewer means Redis lost some (FLUSHALL, a restart without persistence,
   * eviction), and every owed bucket is sent again. Adding an existing job id is a no-op.
   */
  async reconcile(owed: readonly number[]): Promise<void> {
    const started = Date.now();
    if (this.reconcilingSince !== undefined && started - this.reconcilingSince < RECONCILE_STALE_MS)
      return;
    this.reconcilingSince = started;
    const run = this.bringInLine(owed)
      .catch((error: unknown) => {
        this.logger.warn(`could not reconcile revocation jobs, will retry: ${describe(error)}`);
      })
      .finally(() => {
        if (this.reconcilingSince === started) this.reconcilingSince = undefined;
      });
    await waitAtMost(run, RECONCILE_WAIT_MS);
  }

  /** Removes a bucket's job when its last grant ended early; a concurrent mint re-adds it. */
  async release(bucket: number): Promise<void> {
    this.added.delete(bucket);
    await this.queue.remove(jobIdFor(bucket));
  }

  private async bringInLine(owed: readonly number[]): Promise<void> {
    const now = Date.now();
    for (const bucket of this.added) if (bucket <= now) this.added.delete(bucket);
    await this.add(owed.filter((bucket) => !this.added.has(bucket)));
    const future = owed.filter((bucket) => bucket > Date.now());
    const { delayed } = await this.queue.getJobCounts('delayed');
    if (delayed >= future.length) return;
    this.added.clear();
    await this.add(future);
    this.logger.warn(
      `Redis held ${delayed} of ${future.length} revocation job(s) owed; re-created them`,
    );
  }

  private async add(buckets: readonly number[]): Promise<void> {
    const now = Date.now();
    for (let i = 0; i < buckets.length; i += ADD_CHUNK) {
      const chunk = buckets.slice(i, i + ADD_CHUNK);
      await this.queue.addBulk(
        chunk.map((bucket) => ({
          name: EXPIRE_JOB,
          data: { dueAt: bucket },
          opts: {
            jobId: jobIdFor(bucket),
            delay: Math.max(0, bucket - now),
            attempts: JOB_ATTEMPTS,
            backoff: { type: CAPPED_BACKOFF },
            removeOnComplete: true,
            removeOnFail: 1000,
          },
        })),
      );
      for (const bucket of chunk) this.added.add(bucket);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
