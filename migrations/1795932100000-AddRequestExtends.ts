import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * A request may extend a live grant (`extends_grant_id`, docs/api.md "Extending a grant"). At most
 * one extension of a grant is open (pending or approved) at a time: a partial unique index holds
 * that whatever the callers race. Both indexes hold only extension requests (the rest are null).
 */
export class AddRequestExtends1795932100000 implements MigrationInterface {
  name = 'AddRequestExtends1795932100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'access_requests',
      new TableColumn({
        name: 'extends_grant_id',
        type: 'varchar',
        length: '36',
        isNullable: true,
      }),
    );
    await queryRunner.query(
      `CREATE INDEX idx_access_requests_extends ON access_requests (extends_grant_id)
        WHERE extends_grant_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_access_requests_open_extension ON access_requests (extends_grant_id)
        WHERE extends_grant_id IS NOT NULL AND status IN ('pending', 'approved')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX uq_access_requests_open_extension');
    await queryRunner.query('DROP INDEX idx_access_requests_extends');
    await queryRunner.dropColumn('access_requests', 'extends_grant_id');
  }
}
