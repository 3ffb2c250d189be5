import { Logger } from '@nestjs/common';
import type { ExpireGrants } from './expire-grants.js';
import type { RevocationScheduler } from './revocation-scheduler.js';
import { distinctBuckets } from './revocation-scheduler.js';

// setTimeout cannot wait longer than 2^31-1 ms; a longer wait is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The embedded scheduler (no Redis): one timer, armed for the earliest pending expiry bucket.
 * Schedules live in memory; after a restart `reconcile` rebuilds them from the database.
 */
export class TimerRevocationScheduler implements RevocationScheduler {
  private readonly logger = new Logger('RevocationTimer');
  private readonly pending = new Set<number>();
  private timer?: NodeJS.Timeout;
  private armedFor?: number;
  private running = false;
  private stopped = false;

  constructor(private readonly expire: ExpireGrants) {}

  schedule(instants: readonly Date[]): Promise<void> {
    for (const bucket of distinctBuckets(instants)) this.pending.add(bucket);
    this.arm();
    return Promise.resolve();
  }

  reconcile(futureExpiries: readonly Date[]): Promise<void> {
    return this.schedule(futureExpiries);
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

  private arm(): void {
    if (this.stopped || this.running || this.pending.size === 0) return;
    const next = Math.min(...this.pending);
    if (this.armedFor === next) return;
    clearTimeout(this.timer);
    this.armedFor = next;
    const wait = Math.min(Math.max(0, next - Date.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.fire(), wait);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    this.armedFor = undefined;
    this.running = true;
    const now = Date.now();
    for (const bucket of this.pending) if (bucket <= now) this.pending.delete(bucket);
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
