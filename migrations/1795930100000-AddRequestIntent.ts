import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/** A request may narrow its role (`intent`): the approved actions and resource, as JSON text. */
export class AddRequestIntent1795930100000 implements MigrationInterface {
  name = 'AddRequestIntent1795930100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'access_requests',
      new TableColumn({ name: 'intent', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('access_requests', 'intent');
  }
}
