import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/** The Slack message that announced a request, updated in place as the request changes. */
@Entity('slack_messages')
export class SlackMessageRow {
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ type: 'varchar', length: 64 })
  channel!: string;

  /** Slack's message id within the channel. */
  @Column({ type: 'varchar', length: 64 })
  ts!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
