import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { Clock } from '#domain';
import type {
  NotificationChannel,
  NotificationOutbox,
  NotificationRow,
  Tx,
  UnitOfWork,
} from '#persistence';
import type { NotificationMetrics } from './notification-metrics.js';

/** A failure retrying cannot fix (an unknown Slack user, no address): the row is given up. */
export class PermanentFailure extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** What a send leaves to record with it (a posted message's ts), in the same transaction. */
export type SendRecord = ((tx: Tx) => Promise<void>) | undefined;

/** One channel's delivery: sends the row's message, rendered from the committed state now. */
export interface ChannelSender {
  send(row: NotificationRow): Promise<SendRecord>;
}

export interface DispatcherOptions {
  /** How often the outbox is read when nothing wakes the dispatcher (the backstop). */
  pollMs?: number;
  /** How long a claimed row is ours: a dispatcher that dies lets its rows fall due after it. */
  leaseMs?: number;
  /** Rows per claim. */
  batch?: number;
  /** The first retry's delay (5 s); each further one doubles it, up to 15 minutes. */
  firstRetryMs?: number;
}

/** A message failing this many times is counted as failing and warned about at each attempt. */
export const FAILING_AFTER = 5;
const FIRST_RETRY_MS = 5000;
const MAX_RETRY_MS = 15 * 60_000;

/** Capped exponential backoff: 5 s, 10 s, 20 s … then every 15 minutes, for as long as it takes. */
export function notificationBackoffMs(attempts: number, firstMs = FIRST_RETRY_MS): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
}

/**
 * Delivers the notification outbox (docs/notifications.md) on the worker side: claims due rows
 * under a lease, sends each, and records the send in one statement (with what the send leaves to
 * keep, such as a Slack message's ts) — so a message goes out twice only if the process dies
 * between the send and that statement. A target's rows (one request, channel and recipient) go
 * one after the other; targets in parallel. Transient failures are retried with a capped backoff
 * forever, with a warning and the failing gauge once they persist; permanent ones are recorded
 * as given up. Woken after each commit that wrote rows; polling is the backstop.
 */
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Notifications');
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly outbox: NotificationOutbox,
    private readonly clock: Clock,
    private readonly senders: Partial<Record<NotificationChannel, ChannelSender>>,
    private readonly metrics: NotificationMetrics,
    private readonly options: DispatcherOptions = {},
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.idle();
  }

  /** Starts a drain now, or another right after the one running. Returns at once. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        this.logger.warn(`notification outbox unreadable: ${errorName(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no drain is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    const batch = this.options.batch ?? 20;
    while (!this.closed) {
      const now = this.clock.now();
      const leaseUntil = new Date(now.getTime() + (this.options.leaseMs ?? 60_000));
      const rows = await this.uow.run((tx) => this.outbox.claim(tx, now, leaseUntil, batch));
      if (rows.length === 0) return;
      const byTarget = new Map<string, NotificationRow[]>();
      for (const row of rows) {
        const target = `${row.requestId} ${row.channel} ${row.recipient}`;
        byTarget.set(target, [...(byTarget.get(target) ?? []), row]);
      }
      await Promise.all(
        [...byTarget.values()].map(async (targetRows) => {
          for (const row of targetRows) await this.deliver(row);
        }),
      );
    }
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const sender = this.senders[row.channel];
    try {
      if (!sender) throw new PermanentFailure('channel_not_configured');
      const record = await sender.send(row);
      await this.uow.run(async (tx) => {
        await record?.(tx);
        await this.outbox.markSent(tx, row.id, this.clock.now());
      });
      this.metrics.sent(row.channel);
    } catch (error) {
      await this.failed(row, error).catch((recordError: unknown) => {
        // The lease lapses and the row is tried again: nothing is lost.
        this.logger.warn(`notification ${row.id}: failure not recorded: ${errorName(recordError)}`);
      });
    }
  }

  private async failed(row: NotificationRow, error: unknown): Promise<void> {
    const now = this.clock.now();
    const code = errorName(error);
    const about = `notification ${row.id} (${row.channel} ${row.kind}, request ${row.requestId})`;
    if (error instanceof PermanentFailure) {
      await this.uow.run((tx) => this.outbox.markFailed(tx, row.id, now, code));
      this.metrics.givenUp(row.channel);
      this.logger.warn(`${about} given up: ${code}`);
      return;
    }
    const delay = notificationBackoffMs(row.attempts, this.options.firstRetryMs);
    const retryAt = new Date(now.getTime() + delay);
    await this.uow.run((tx) => this.outbox.markRetry(tx, row.id, retryAt, code));
    const log = row.attempts >= FAILING_AFTER ? 'warn' : 'debug';
    this.logger[log](
      `${about} failed ${row.attempts} times (${code}); next attempt ${retryAt.toISOString()}`,
    );
  }
}

/** A failure's code for logs and the outbox: never a message body, a header or a URL. */
export function errorName(error: unknown): string {
  if (error instanceof PermanentFailure) return error.code;
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const { code, data, statusCode, responseCode } = error as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    responseCode?: unknown;
  };
  const parts = [
    typeof code === 'string' ? code : error.constructor.name,
    typeof data?.error === 'string' ? data.error : undefined,
    typeof statusCode === 'number' ? `HTTP ${statusCode}` : undefined,
    typeof responseCode === 'number' ? `SMTP ${responseCode}` : undefined,
  ];
  return parts.filter((part) => part !== undefined).join(' ');
}
