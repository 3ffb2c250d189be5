import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn, TableIndex } from 'typeorm';

/**
 * Each revocation owed keeps its grant's expiry, indexed: the overdue count (a gauge read at
 * every scrape) and the admin's overdue view read the few rows past their expiry instead of
 * joining every grant that ever expired, which grows without bound, or every active one.
 */
export class AddRevocationExpiry1795931300000 implements MigrationInterface {
  name = 'AddRevocationExpiry1795931300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'grant_revocations',
      new TableColumn({ name: 'expires_at', type: 'bigint', isNullable: true }),
    );
    await queryRunner.query(
      `UPDATE grant_revocations SET expires_at =
         (SELECT g.expires_at FROM grants g WHERE g.id = grant_revocations.grant_id)`,
    );
    // A revocation whose grant is gone is owed nothing; none should exist.
    await queryRunner.query('DELETE FROM grant_revocations WHERE expires_at IS NULL');
    await queryRunner.changeColumn(
      'grant_revocations',
      'expires_at',
      new TableColumn({ name: 'expires_at', type: 'bigint', isNullable: false }),
    );
    await queryRunner.createIndex(
      'grant_revocations',
      new TableIndex({ name: 'idx_grant_revocations_expires', columnNames: ['expires_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('grant_revocations', 'idx_grant_revocations_expires');
    await queryRunner.dropColumn('grant_revocations', 'expires_at');
  }
}
