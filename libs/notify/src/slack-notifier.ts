import { Logger } from '@nestjs/common';
import type { RequestChange, RequestNotifier } from '#access';
import { toRequestView } from '#access';
import type { Clock } from '#domain';
import type { RequestRepository, UnitOfWork } from '#persistence';
import { AccessRequestRow, SlackMessageRow } from '#persistence';
import type { SlackApi } from './slack-api.js';
import { describeFailure } from './slack-api.js';
import { requestMessage } from './slack-message.js';

export interface SlackNotifierOptions {
  channel: string;
  publicUrl: string;
  /** Attempts per call, the first included. */
  attempts?: number;
  /** Delay before the first retry; each further retry waits four times longer. */
  backoffMs?: number;
}

/**
 * Posts each new request to Slack and updates that message on every later change (docs/api.md §7).
 * Called after commit, it returns at once: the work runs in the background, one request's
 * changes in order, each call retried with backoff; a failure is logged and dropped. The message
 * is rendered from the request as committed, so a later update also repairs a lost earlier one.
 */
export class SlackNotifier implements RequestNotifier {
  private readonly logger = new Logger('SlackNotifier');
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;
  private wake: () => void = () => undefined;
  private readonly closing = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(
    private readonly api: SlackApi,
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly clock: Clock,
    private readonly options: SlackNotifierOptions,
  ) {}

  requestChanged(change: RequestChange): void {
    if (this.closed) return;
    const previous = this.chains.get(change.requestId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(change))
      .catch((error: unknown) => {
        this.logger.warn(
          `Slack notification for request ${change.requestId} (${change.kind}) dropped: ` +
            describeFailure(error),
        );
      });
    this.chains.set(change.requestId, next);
    void next.then(() => {
      if (this.chains.get(change.requestId) === next) this.chains.delete(change.requestId);
    });
  }

  /** Resolves once every notification started so far has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Stops retrying and waits for calls in flight, before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.idle();
  }

  private async deliver(change: RequestChange): Promise<void> {
    const found = await this.uow.read(async (db) => {
      const row = await db.findOneBy(AccessRequestRow, { id: change.requestId });
      // A break-glass activation is announced by its own alert (BreakGlassNotifier).
      if (!row || row.breakGlass) return undefined;
      const approvals = await this.requests.approvals(db, [row.id]);
      const sent = await db.findOneBy(SlackMessageRow, { requestId: row.id });
      return { view: toRequestView(row, approvals), sent };
    });
    if (!found) return;
    const message = requestMessage(found.view, change, this.options.publicUrl);
    if (found.sent) {
      const { channel, ts } = found.sent;
      await this.withRetries('chat.update', () => this.api.update(channel, ts, message));
      return;
    }
    const posted = await this.withRetries('chat.postMessage', () =>
      this.api.postMessage(this.options.channel, message),
    );
    await this.uow.run(async (tx) => {
      const row = Object.assign(new SlackMessageRow(), {
        requestId: change.requestId,
        channel: posted.channel,
        ts: posted.ts,
        createdAt: this.clock.now(),
      });
      await tx.insert(SlackMessageRow, row);
    });
  }

  private async withRetries<T>(call: string, work: () => Promise<T>): Promise<T> {
    const attempts = this.options.attempts ?? 4;
    let delay = this.options.backoffMs ?? 250;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= attempts || this.closed) throw error;
        this.logger.warn(
          `Slack ${call} failed (attempt ${attempt} of ${attempts}): ${describeFailure(error)}`,
        );
        await Promise.race([new Promise((resolve) => setTimeout(resolve, delay)), this.closing]);
        delay *= 4;
      }
    }
  }
}
