import type { NotificationRow, Tx, UnitOfWork } from '#persistence';
import { SlackDirectMessageRow, SlackMessageRow } from '#persistence';
import type { Clock } from '#domain';
import type { NoticeFacts } from './notice.js';
import { askingNotice, isStale, outcomeNotice } from './notice.js';
import type { NoticeFactsReader } from './notice-facts.js';
import { ASKING_KINDS } from './outbox-plan.js';
import type { ChannelSender, SendRecord } from './outbox-dispatcher.js';
import { PermanentFailure } from './outbox-dispatcher.js';
import type { SlackApi } from './slack-api.js';
import { slackErrorCode } from './slack-api.js';
import type { SlackMessage } from './slack-message.js';
import { noticeMessage, requestMessage } from './slack-message.js';

/** Slack errors no retry can fix: the row is recorded as given up. */
const PERMANENT = new Set([
  'user_not_found',
  'users_not_found',
  'channel_not_found',
  'is_archived',
  'cannot_dm_bot',
  'user_disabled',
  'message_not_found',
  'msg_too_long',
  'invalid_blocks',
]);

/**
 * Slack delivery (docs/notifications.md): the request's channel message (posted once, then
 * updated on every change, the grant's end included), a DM to each approver asked for a decision
 * (updated in place as the request moves on; not sent once the request no longer waits for one),
 * and a new DM to the requester for each outcome.
 */
export class SlackDelivery implements ChannelSender {
  constructor(
    private readonly api: SlackApi,
    private readonly uow: UnitOfWork,
    private readonly facts: NoticeFactsReader,
    private readonly clock: Clock,
    private readonly publicUrl: string,
  ) {}

  async send(row: NotificationRow): Promise<SendRecord> {
    const facts = await this.facts.read(row);
    if (!facts || facts.request.breakGlass) return undefined;
    try {
      if (row.channel === 'slack-channel') return await this.channelMessage(row, facts);
      if (row.kind === 'reminded' || row.kind === 'grant_ending') {
        return await this.nudge(row, facts);
      }
      if (row.audience === 'approver') return await this.approverMessage(row, facts);
      await this.api.postMessage(
        await this.directChannel(row),
        noticeMessage(outcomeNotice(facts)),
      );
      return undefined;
    } catch (error) {
      const code = slackErrorCode(error);
      if (code !== undefined && PERMANENT.has(code)) throw new PermanentFailure(code);
      throw error;
    }
  }

  private async channelMessage(row: NotificationRow, facts: NoticeFacts): Promise<SendRecord> {
    const message = this.requestMessage(row, facts);
    const sent = await this.uow.read((db) =>
      db.findOneBy(SlackMessageRow, { requestId: row.requestId }),
    );
    if (sent) {
      await this.api.update(sent.channel, sent.ts, message);
      return undefined;
    }
    const posted = await this.api.postMessage(row.recipient, message);
    const kept = Object.assign(new SlackMessageRow(), {
      requestId: row.requestId,
      ...posted,
      createdAt: this.clock.now(),
    });
    return async (tx: Tx) => {
      await tx.insert(SlackMessageRow, kept);
    };
  }

  private async approverMessage(row: NotificationRow, facts: NoticeFacts): Promise<SendRecord> {
    const message = this.requestMessage(row, facts);
    const sent = await this.uow.read((db) =>
      db.findOneBy(SlackDirectMessageRow, { requestId: row.requestId, slackUser: row.recipient }),
    );
    if (sent) {
      await this.api.update(sent.channel, sent.ts, message);
      return undefined;
    }
    // A DM asks for a decision only while one is needed; later changes only update a DM sent.
    if (!ASKING_KINDS.has(row.kind) || facts.request.status !== 'pending') return undefined;
    const posted = await this.api.postMessage(await this.directChannel(row), message);
    const kept = Object.assign(new SlackDirectMessageRow(), {
      requestId: row.requestId,
      slackUser: row.recipient,
      ...posted,
    });
    return async (tx: Tx) => {
      await tx.insert(SlackDirectMessageRow, kept);
    };
  }

  /**
   * A new DM, so that Slack notifies its reader again: a reminder to an approver (the DM asking
   * for the decision stays where it is, updated), or a warning that a grant ends soon. Neither is
   * sent once it is no longer true.
   */
  private async nudge(row: NotificationRow, facts: NoticeFacts): Promise<SendRecord> {
    if (isStale(facts, row.audience)) return undefined;
    const notice = row.audience === 'approver' ? askingNotice(facts) : outcomeNotice(facts);
    await this.api.postMessage(await this.directChannel(row), noticeMessage(notice));
    return undefined;
  }

  private requestMessage(row: NotificationRow, facts: NoticeFacts): SlackMessage {
    return requestMessage(facts.request, { kind: row.kind, actor: row.actor }, this.publicUrl);
  }

  /** The DM channel with the row's Slack user (`team/user`). */
  private directChannel(row: NotificationRow): Promise<string> {
    const user = row.recipient.slice(row.recipient.indexOf('/') + 1);
    return this.api.openDirect(user);
  }
}
