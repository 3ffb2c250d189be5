/**
 * Schedules the revocation of grants at their expiry: BullMQ delayed jobs with Redis, a timer
 * without. The database is the truth either way: a lost schedule delays a revocation by at most
 * the sweep interval, because the sweep ends every overdue grant it finds.
 */
export interface RevocationScheduler {
  /** Makes sure an expiry run happens at (or just after) each instant. Never throws. */
  schedule(instants: readonly Date[]): Promise<void>;
  /** Re-creates schedules lost since they were made (a Redis flush, a restart). */
  reconcile(futureExpiries: readonly Date[]): Promise<void>;
  /** Drops a bucket's schedule when its last grant ended early (a no-op where that is free). */
  release(bucket: number): Promise<void>;
}

/**
 * Expiries are grouped into short buckets and one run serves each bucket: 100k grants due in the
 * same second are 20 jobs, not 100k, and each run ends every grant due by then, in batches.
 */
export const BUCKET_MS = 50;

/** The end of the bucket holding `instant`: the first moment every grant in it is due. */
export function bucketEnd(instant: Date): number {
  return Math.ceil(instant.getTime() / BUCKET_MS) * BUCKET_MS;
}

export function distinctBuckets(instants: readonly Date[]): number[] {
  return [...new Set(instants.map(bucketEnd))].sort((a, b) => a - b);
}
