import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * An agent acting for a person (delegation): the agent is kept as `act` on the request and on its
 * grant, so the credential and introspection can name it (RFC 8693 `act.sub`).
 */
export class AddDelegation1795930400000 implements MigrationInterface {
  name = 'AddDelegation1795930400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['access_requests', 'grants']) {
      await queryRunner.addColumn(
        table,
        new TableColumn({ name: 'act', type: 'varchar', length: '512', isNullable: true }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['grants', 'access_requests']) {
      await queryRunner.dropColumn(table, 'act');
    }
  }
}
