import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reminders, escalation and end-of-grant warnings (docs/notifications.md): a request records when
 * it was escalated (its role's `escalateTo` may decide it from then on) and how many reminder
 * rounds were sent; `grant_end_warnings` records each grant end warned about. The follow-up task
 * reads pending requests by creation (a partial index of pending ones only), and the outbox's
 * purge reads sent rows by when they were sent.
 */
export class AddRequestFollowUps1795932300000 implements MigrationInterface {
  name = 'AddRequestFollowUps1795932300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Plain ALTERs on both databases: SQLite adds a column in place (no table rebuild, so the
    // partial indexes made by earlier migrations stay as they are).
    await queryRunner.query('ALTER TABLE access_requests ADD COLUMN escalated_at bigint');
    await queryRunner.query(
      'ALTER TABLE access_requests ADD COLUMN reminders integer NOT NULL DEFAULT 0',
    );
    await queryRunner.query(
      `CREATE INDEX idx_access_requests_pending ON access_requests (created_at)
        WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE grant_end_warnings (
        grant_id varchar(36) NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (grant_id, expires_at)
      )`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_notification_outbox_sent ON notification_outbox (sent_at)
        WHERE sent_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX idx_notification_outbox_sent');
    await queryRunner.query('DROP TABLE grant_end_warnings');
    await queryRunner.query('DROP INDEX idx_access_requests_pending');
    await queryRunner.query('ALTER TABLE access_requests DROP COLUMN reminders');
    await queryRunner.query('ALTER TABLE access_requests DROP COLUMN escalated_at');
  }
}
