import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * Service accounts with API keys (docs/identity.md). The key itself is never stored: `key_hash`
 * is its SHA-256, found through the unique, non-secret `key_id`. Portable types only: instants
 * are epoch milliseconds, as everywhere else.
 */
export class AddServiceAccounts1795930200000 implements MigrationInterface {
  name = 'AddServiceAccounts1795930200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'service_accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64', isUnique: true },
          { name: 'owner', type: 'varchar', length: '512' },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'groups', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'key_id', type: 'varchar', length: '16', isUnique: true },
          { name: 'key_hash', type: 'varchar', length: '64' },
          { name: 'key_created_at', type: 'bigint' },
          { name: 'key_expires_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'created_by', type: 'varchar', length: '512' },
          { name: 'disabled_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('service_accounts');
  }
}
