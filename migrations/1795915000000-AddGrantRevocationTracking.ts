import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * Failed provider revocations are retried with capped backoff and never given up: a grant keeps
 * its failure count and the earliest time of its next attempt.
 */
export class AddGrantRevocationTracking1795915000000 implements MigrationInterface {
  name = 'AddGrantRevocationTracking1795915000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('grants', [
      new TableColumn({ name: 'revocation_failures', type: 'integer', default: 0 }),
      new TableColumn({ name: 'next_revocation_at', type: 'bigint', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('grants', 'next_revocation_at');
    await queryRunner.dropColumn('grants', 'revocation_failures');
  }
}
