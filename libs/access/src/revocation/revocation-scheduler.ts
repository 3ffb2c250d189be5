/**
 * Schedules the revocation of grants at their expiry: BullMQ delayed jobs with Redis, a timer
 * without. The database is the truth either way: a lost schedule delays a revocation by at most
 * the sweep interval, because the sweep ends every overdue grant it finds.
 *
 * Schedules are kept only for a near horizon. A grant expiring later is brought in by a sweep as
 * the horizon reaches it, so a million grants over eight hours cost a minute's worth of jobs, and
 * a sweep reads only the revocations owed within the horizon (bucketed by the database).
 */
export interface RevocationScheduler {
  /** How far ahead of now schedules are kept. */
  readonly horizonMs: number;
  /**
   * Makes sure an expiry run happens at (or just after) each instant within the horizon; later
   * instants are left to the sweep. Never throws.
   */
  schedule(instants: readonly Date[]): Promise<void>;
  /**
   * Brings the schedules in line with the buckets owed within the horizon, as the database has
   * them: adds the ones not yet scheduled, and re-creates every one when some were lost (a Redis
   * flush or restart). Never throws, and waits for a slow Redis only briefly.
   */
  reconcile(owed: readonly number[]): Promise<void>;
  /** Drops a bucket's schedule when its last grant ended early (a no-op where that is free). */
  release(bucket: number): Promise<void>;
}

/**
 * Expiries are grouped into short buckets and one run serves each bucket: 100k grants due in the
 * same second are 20 jobs, not 100k, and each run ends every grant due by then, in batches.
 */
export const BUCKET_MS = 50;

/**
 * The horizon for a sweep interval: three sweeps ahead and never under a minute, so each bucket is
 * scheduled by at least two sweeps before it is due (one may fail) and a provider's retry (at most
 * a minute of backoff) always falls inside it.
 */
export function scheduleHorizonMs(sweepIntervalSeconds: number): number {
  return Math.max(60_000, 3 * sweepIntervalSeconds * 1000);
}

/** The end of the bucket holding `instant`: the first moment every grant in it is due. */
export function bucketEnd(instant: Date): number {
  return Math.ceil(instant.getTime() / BUCKET_MS) * BUCKET_MS;
}

export function distinctBuckets(instants: readonly Date[]): number[] {
  return [...new Set(instants.map(bucketEnd))].sort((a, b) => a - b);
}

/** The buckets of `instants` due no later than `horizonMs` after `now` (past ones included). */
export function bucketsWithin(instants: readonly Date[], now: number, horizonMs: number): number[] {
  return distinctBuckets(instants).filter((bucket) => bucket <= now + horizonMs);
}
