import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * The Slack message announcing each request (docs/api.md §7), so later state changes update it in
 * place. Portable types only: created_at is epoch milliseconds, as everywhere else.
 */
export class AddSlackMessages1795916987773 implements MigrationInterface {
  name = 'AddSlackMessages1795916987773';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'slack_messages',
        columns: [
          { name: 'request_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '64' },
          { name: 'ts', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('slack_messages');
  }
}
