import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

export type NotificationChannel = 'slack-channel' | 'slack-dm' | 'email';
/** Who a notification is for: the request's channel message, an approver, or the requester. */
export type NotificationAudience = 'channel' | 'approver' | 'requester';

/**
 * One notification owed (docs/notifications.md): written in the transaction of the change that
 * causes it, delivered after commit by the dispatcher. `nextAttemptAt` is null once nothing more
 * is owed (sent, or given up with `failedAt`); `leaseUntil` marks a row a dispatcher is sending.
 * The text is rendered at delivery from the committed state, so the row holds ids, not content;
 * `detail` is the one fact a later state cannot give back (a denial's reason).
 */
@Entity('notification_outbox')
export class NotificationRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Derived from the change and the recipient: the same notification is never owed twice. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 64 })
  idempotencyKey!: string;

  @Column({ type: 'varchar', length: 16 })
  channel!: NotificationChannel;

  @Column({ type: 'varchar', length: 16 })
  audience!: NotificationAudience;

  /** A Slack channel id, a Slack `team/user`, or a principal id (email: its address is looked up at delivery). */
  @Column({ type: 'varchar', length: 512 })
  recipient!: string;

  /** The change: a request change kind, `grant_revoked`, `grant_expired`, … */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ name: 'grant_id', type: 'varchar', length: 36, nullable: true })
  grantId!: string | null;

  /** Who made the change. */
  @Column({ type: 'varchar', length: 512 })
  actor!: string;

  @Column({ type: 'text', nullable: true })
  detail!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'lease_until', type: 'bigint', transformer: epochMs, nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'bigint', transformer: epochMs, nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'failed_at', type: 'bigint', transformer: epochMs, nullable: true })
  failedAt!: Date | null;

  /** A code (`channel_not_found`, `HTTP 500`, `EAUTH`), never a message body or a secret. */
  @Column({ name: 'last_error', type: 'varchar', length: 128, nullable: true })
  lastError!: string | null;
}

/** A Slack direct message about a request, updated in place when someone else decides. */
@Entity('slack_direct_messages')
export class SlackDirectMessageRow {
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  /** The Slack `team/user` it was sent to. */
  @PrimaryColumn({ name: 'slack_user', type: 'varchar', length: 80 })
  slackUser!: string;

  @Column({ type: 'varchar', length: 64 })
  channel!: string;

  @Column({ type: 'varchar', length: 64 })
  ts!: string;
}

/**
 * The `email` claim a principal last presented in a verified token: where email goes when the
 * directory names no address.
 */
@Entity('principal_emails')
export class PrincipalEmailRow {
  @PrimaryColumn({ type: 'varchar', length: 512 })
  principal!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'seen_at', type: 'bigint', transformer: epochMs })
  seenAt!: Date;
}
