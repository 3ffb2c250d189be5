import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

const GENESIS_HASH = '0'.repeat(64);

/**
 * The audit chain's head, recorded outside `audit_events`: every append rewrites this
 * one row in its own transaction, so newest events deleted while the broker is stopped leave the
 * chain shorter than its recorded head, which `GET /v1/audit/verify` reports. An existing install
 * starts from its newest event (or the genesis hash when the log is empty).
 */
export class AddAuditHead1795930800000 implements MigrationInterface {
  name = 'AddAuditHead1795930800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_head',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'bigint' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
        checks: [{ name: 'chk_audit_head_single_row', expression: 'id = 1' }],
      }),
    );
    await queryRunner.query(
      `INSERT INTO audit_head (id, seq, hash)
       SELECT 1, seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`,
    );
    await queryRunner.query(
      `INSERT INTO audit_head (id, seq, hash)
       SELECT 1, 0, '${GENESIS_HASH}' WHERE NOT EXISTS (SELECT 1 FROM audit_head)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_head');
  }
}
