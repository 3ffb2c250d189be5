import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * Passkeys of people who approve (docs/identity.md, issue 16): one row per registered WebAuthn
 * credential, never deleted (removal and revocation set `revoked_at`), and the registration
 * challenges under way, one per web session, taken (deleted) when a response is verified so each
 * is used once. Instants are epoch milliseconds, ids are made by the application.
 */
export class AddPasskeys1795932500000 implements MigrationInterface {
  name = 'AddPasskeys1795932500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'principal', type: 'varchar', length: '512' },
          { name: 'credential_id', type: 'varchar', length: '1400' },
          { name: 'public_key', type: 'text' },
          { name: 'sign_count', type: 'bigint' },
          { name: 'transports', type: 'text' },
          { name: 'aaguid', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'revoked_by', type: 'varchar', length: '512', isNullable: true },
        ],
        indices: [
          { name: 'idx_passkeys_credential_id', columnNames: ['credential_id'], isUnique: true },
          { name: 'idx_passkeys_principal', columnNames: ['principal'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webauthn_challenges',
        columns: [
          { name: 'session_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'challenge', type: 'varchar', length: '128' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_webauthn_challenges_expires_at', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webauthn_challenges');
    await queryRunner.dropTable('passkeys');
  }
}
