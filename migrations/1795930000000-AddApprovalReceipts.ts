import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * Each approval keeps the broker's signed receipt for it (a compact JWS over the digest of what was
 * approved), so the approval can be proved later without trusting this database.
 */
export class AddApprovalReceipts1795930000000 implements MigrationInterface {
  name = 'AddApprovalReceipts1795930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'approvals',
      new TableColumn({ name: 'receipt', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('approvals', 'receipt');
  }
}
