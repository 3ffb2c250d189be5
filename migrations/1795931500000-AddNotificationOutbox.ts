import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * The notification outbox (docs/notifications.md): one row per message owed, written with the
 * change that causes it; the Slack direct messages sent, so they can be updated; the email claim
 * each principal last presented in a verified token. Instants are epoch milliseconds.
 */
export class AddNotificationOutbox1795931500000 implements MigrationInterface {
  name = 'AddNotificationOutbox1795931500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'notification_outbox',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'idempotency_key', type: 'varchar', length: '64' },
          { name: 'channel', type: 'varchar', length: '16' },
          { name: 'audience', type: 'varchar', length: '16' },
          { name: 'recipient', type: 'varchar', length: '512' },
          { name: 'kind', type: 'varchar', length: '32' },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'grant_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor', type: 'varchar', length: '512' },
          { name: 'detail', type: 'text', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'sent_at', type: 'bigint', isNullable: true },
          { name: 'failed_at', type: 'bigint', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '128', isNullable: true },
        ],
        indices: [
          {
            name: 'uq_notification_outbox_key',
            columnNames: ['idempotency_key'],
            isUnique: true,
          },
          // The dispatcher's claim reads owed rows by due time; done rows have none.
          { name: 'idx_notification_outbox_due', columnNames: ['next_attempt_at'] },
          { name: 'idx_notification_outbox_request', columnNames: ['request_id'] },
          // The given-up count for the metrics, without reading every row ever sent.
          { name: 'idx_notification_outbox_failed', columnNames: ['failed_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'slack_direct_messages',
        columns: [
          { name: 'request_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'slack_user', type: 'varchar', length: '80', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '64' },
          { name: 'ts', type: 'varchar', length: '64' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'principal_emails',
        columns: [
          { name: 'principal', type: 'varchar', length: '512', isPrimary: true },
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'seen_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('principal_emails');
    await queryRunner.dropTable('slack_direct_messages');
    await queryRunner.dropTable('notification_outbox');
  }
}
