import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * The transparency log's Ed25519 key, sealed at rest like `signing_keys`. `generation` is unique,
 * so two brokers creating the first key at once end with one (the loser's insert is ignored).
 */
export class AddLogKeys1795931000000 implements MigrationInterface {
  name = 'AddLogKeys1795931000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'log_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'generation', type: 'integer' },
          { name: 'public_key', type: 'text' },
          { name: 'private_key', type: 'text' },
          { name: 'encrypted', type: 'boolean' },
          { name: 'created_at', type: 'bigint' },
        ],
        uniques: [{ name: 'uq_log_keys_generation', columnNames: ['generation'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('log_keys');
  }
}
