import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableColumn } from 'typeorm';

/**
 * What separation of duties needs to count people (docs/identity.md):
 * - `service_accounts.key_holder`: who received the current key, linked to the account until
 *   someone else rotates it. Accounts from before this column get their creator, the one holder
 *   known for sure (a rotation since then made the rotating admin a holder too, unrecorded).
 * - `principal_groups`: the groups each principal last presented in a verified token, for paths
 *   that carry no token (a Slack click, an ID token without its groups claim) to judge admin reach.
 * - `web_sessions.token_groups_known`: whether the ID token of a sign-in carried its groups claim.
 */
export class AddSeparationRecords1795930700000 implements MigrationInterface {
  name = 'AddSeparationRecords1795930700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'service_accounts',
      new TableColumn({ name: 'key_holder', type: 'varchar', length: '512', isNullable: true }),
    );
    await queryRunner.query('UPDATE service_accounts SET key_holder = created_by');
    await queryRunner.createTable(
      new Table({
        name: 'principal_groups',
        columns: [
          { name: 'principal', type: 'varchar', length: '512', isPrimary: true },
          { name: 'token_groups', type: 'text' },
          { name: 'seen_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.addColumn(
      'web_sessions',
      new TableColumn({
        name: 'token_groups_known',
        type: 'boolean',
        isNullable: false,
        default: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('web_sessions', 'token_groups_known');
    await queryRunner.dropTable('principal_groups');
    await queryRunner.dropColumn('service_accounts', 'key_holder');
  }
}
