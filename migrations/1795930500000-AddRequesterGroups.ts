import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * The requester's groups from its token, kept with the request, so a policy reload can tell
 * whether the requester is still eligible. Null on requests from before this column.
 */
export class AddRequesterGroups1795930500000 implements MigrationInterface {
  name = 'AddRequesterGroups1795930500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'access_requests',
      new TableColumn({ name: 'requester_groups', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('access_requests', 'requester_groups');
  }
}
