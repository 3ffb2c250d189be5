import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableIndex } from 'typeorm';

/**
 * The claim of due grants (`status = 'active' ORDER BY expires_at LIMIT n`) as an in-order scan of
 * a partial index, whatever the planner's statistics say: after a burst of mints the table may not
 * have been analysed, and a sort of every due row per batch made draining 100k grants quadratic.
 */
export class AddActiveGrantExpiryIndex1795916000000 implements MigrationInterface {
  name = 'AddActiveGrantExpiryIndex1795916000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'grants',
      new TableIndex({
        name: 'idx_grants_active_expiry',
        columnNames: ['expires_at'],
        where: "status = 'active'",
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('grants', 'idx_grants_active_expiry');
  }
}
