import { Logger } from '@nestjs/common';
import type { ExpireGrants } from './expire-grants.js';
import type { RevocationScheduler } from './revocation-scheduler.js';
import { bucketsWithin, distinctBuckets } from './revocation-scheduler.js';

/**
 * The embedded scheduler (no Redis): one timer, armed for the earliest pending expiry bucket.
 * Schedules live in memory, within the horizon; the sweep's `reconcile` brings in later ones as
 * the horizon reaches them, and rebuilds them all after a restart.
 */
export class TimerRevocationScheduler implements RevocationScheduler {
  private readonly logger = new Logger('RevocationTimer');
  private readonly pending = new Set<number>();
  private timer?: NodeJS.Timeout;
  private armedFor?: number;
  private running = false;
  private stopped = false;

  constructor(
    private readonly expire: ExpireGrants,
    readonly horizonMs: number,
  ) {}

  schedule(instants: readonly Date[]): Promise<void> {
    this.add(bucketsWithin(instants, Date.now(), this.horizonMs));
    return Promise.resolve();
  }

  reconcile(owed: readonly number[]): Promise<void> {
    this.add(owed);
    return Promise.resolve();
  }

  /** No-op: a timer run that finds nothing due costs one query. */
  release(_bucket: number): Promise<void> {
    return Promise.resolve();
  }

  /** Called by Nest when the app closes (any provider with this method is). */
  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private add(buckets: readonly number[]): void {
    for (const bucket of buckets) this.pending.add(bucket);
    this.arm();
  }

  private arm(): void {
    if (this.stopped || this.running || this.pending.size === 0) return;
    let next = Infinity;
    for (const bucket of this.pending) next = Math.min(next, bucket);
    if (this.armedFor === next) return;
    clearTimeout(this.timer);
    this.armedFor = next;
    // Within the horizon (hours at most), well under setTimeout's limit of 2^31-1 ms.
    const wait = Math.max(0, next - Date.now());
    this.timer = setTimeout(() => void this.fire(), wait);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    this.armedFor = undefined;
    const now = Date.now();
    const due = [...this.pending].filter((bucket) => bucket <= now);
    // setTimeout may fire a millisecond early: with nothing due yet, wait out the rest rather
    // than run now and again at the bucket.
    if (due.length === 0) {
      this.arm();
      return;
    }
    this.running = true;
    for (const bucket of due) this.pending.delete(bucket);
    try {
      const run = await this.expire.expireDue('timer');
      for (const bucket of distinctBuckets(run.retryAt)) this.pending.add(bucket);
    } catch (error) {
      // The sweep will end what this run could not; try again shortly in case it was transient.
      this.logger.error(error instanceof Error ? error : String(error));
      this.pending.add(now + 1000);
    } finally {
      this.running = false;
      this.arm();
    }
  }
}
