import { Counter, Gauge } from 'prom-client';
import type { MetricsService } from '#access';
import type { NotificationChannel, NotificationOutbox, UnitOfWork } from '#persistence';
import { FAILING_AFTER } from './outbox-dispatcher.js';

/**
 * The outbox's metrics, on the app's registry: `countersign_notifications{state}` (pending,
 * failing — tried at least FAILING_AFTER times —, failed — given up), read from the database at
 * each scrape, and `countersign_notifications_sent_total{channel}` /
 * `countersign_notifications_given_up_total{channel}` for what this process did.
 */
export class NotificationMetrics {
  private readonly sentTotal: Counter;
  private readonly givenUpTotal: Counter;

  constructor(metrics: MetricsService, uow: UnitOfWork, outbox: NotificationOutbox) {
    const registers = [metrics.registry];
    this.sentTotal = new Counter({
      name: 'countersign_notifications_sent_total',
      help: 'Notifications delivered, by channel',
      labelNames: ['channel'],
      registers,
    });
    this.givenUpTotal = new Counter({
      name: 'countersign_notifications_given_up_total',
      help: 'Notifications given up on a permanent error, by channel',
      labelNames: ['channel'],
      registers,
    });
    const gauge: Gauge = new Gauge({
      name: 'countersign_notifications',
      help: 'Notifications in the outbox: pending, failing (retried often already), failed (given up)',
      labelNames: ['state'],
      registers,
      async collect() {
        try {
          const counts = await uow.read((db) => outbox.counts(db, FAILING_AFTER));
          gauge.set({ state: 'pending' }, counts.pending);
          gauge.set({ state: 'failing' }, counts.failing);
          gauge.set({ state: 'failed' }, counts.failed);
        } catch {
          gauge.reset(); // no figure rather than a stale one while the database is away
        }
      },
    });
  }

  sent(channel: NotificationChannel): void {
    this.sentTotal.inc({ channel });
  }

  givenUp(channel: NotificationChannel): void {
    this.givenUpTotal.inc({ channel });
  }
}
