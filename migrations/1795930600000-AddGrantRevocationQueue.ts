import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableIndex, TableUnique } from 'typeorm';

/**
 * Revocations still owed move to their own table (for 100k grants due together), so that
 * ending a grant writes no index entry:
 * - `grant_revocations` holds one row per active grant (its expiry, or its next attempt after a
 *   failed provider revocation), indexed by that instant: the claim of due grants reads it in order.
 * - The grants indexes on `status` (the active-grants partial index and `(status, expires_at)`)
 *   go: they made every end of a grant a new row version plus an entry in each of six indexes.
 *   With none of the columns an ending changes indexed, PostgreSQL updates the row in place on its
 *   page (a heap-only tuple), given room on the page: grants pages are left half empty
 *   (fillfactor 50) because the grants on a page tend to end together. An index on `expires_at`
 *   alone (never changed) serves the revocation list.
 * - The audit log's unique index on the event id goes: the id is a random UUID that nothing looks
 *   up, and each ending writes one event under the chain's lock; `seq` stays the primary key.
 */
export class AddGrantRevocationQueue1795930600000 implements MigrationInterface {
  name = 'AddGrantRevocationQueue1795930600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'grant_revocations',
        columns: [
          { name: 'grant_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'due_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_grant_revocations_due', columnNames: ['due_at'] }],
      }),
    );
    await queryRunner.query(
      `INSERT INTO grant_revocations (grant_id, due_at)
       SELECT id, COALESCE(next_revocation_at, expires_at) FROM grants WHERE status = 'active'`,
    );
    await queryRunner.dropIndex('grants', 'idx_grants_active_expiry');
    await queryRunner.dropIndex('grants', 'idx_grants_status_expires');
    await queryRunner.createIndex(
      'grants',
      new TableIndex({ name: 'idx_grants_expires', columnNames: ['expires_at'] }),
    );
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('ALTER TABLE grants SET (fillfactor = 50)');
    }
    await queryRunner.dropUniqueConstraint('audit_events', 'uq_audit_id');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createUniqueConstraint(
      'audit_events',
      new TableUnique({ name: 'uq_audit_id', columnNames: ['id'] }),
    );
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('ALTER TABLE grants RESET (fillfactor)');
    }
    await queryRunner.dropIndex('grants', 'idx_grants_expires');
    await queryRunner.createIndex(
      'grants',
      new TableIndex({ name: 'idx_grants_status_expires', columnNames: ['status', 'expires_at'] }),
    );
    await queryRunner.createIndex(
      'grants',
      new TableIndex({
        name: 'idx_grants_active_expiry',
        columnNames: ['expires_at'],
        where: "status = 'active'",
      }),
    );
    await queryRunner.dropTable('grant_revocations');
  }
}
