import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * Web sessions and sign-ins under way (docs/api.md §6), keyed by the SHA-256 of the cookie's random
 * id. Portable types only: instants are epoch milliseconds, as everywhere else.
 */
export class AddWebSessions1795920000000 implements MigrationInterface {
  name = 'AddWebSessions1795920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { name: 'id_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'principal', type: 'varchar', length: '512' },
          { name: 'token_groups', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_web_sessions_expires_at', columnNames: ['expires_at'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'web_logins',
        columns: [
          { name: 'id_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'state', type: 'varchar', length: '128' },
          { name: 'nonce', type: 'varchar', length: '128' },
          { name: 'code_verifier', type: 'varchar', length: '128' },
          { name: 'return_to', type: 'varchar', length: '1024' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_web_logins_expires_at', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('web_logins');
    await queryRunner.dropTable('web_sessions');
  }
}
