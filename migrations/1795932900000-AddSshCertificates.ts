import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * The SSH user CA's keys (sealed at rest like `signing_keys`; unique `generation` so two brokers
 * creating the first key at once end with one) and each `ssh` grant's certificate serial, unique,
 * which the key revocation list names once the grant is revoked early.
 */
export class AddSshCertificates1795932900000 implements MigrationInterface {
  name = 'AddSshCertificates1795932900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'ssh_ca_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'generation', type: 'integer' },
          { name: 'public_key', type: 'text' },
          { name: 'private_key', type: 'text' },
          { name: 'encrypted', type: 'boolean' },
          { name: 'created_at', type: 'bigint' },
        ],
        uniques: [{ name: 'uq_ssh_ca_keys_generation', columnNames: ['generation'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'ssh_certificates',
        columns: [
          { name: 'grant_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'serial', type: 'varchar', length: '20' },
          { name: 'ca_kid', type: 'varchar', length: '64' },
          { name: 'valid_until', type: 'bigint' },
        ],
        uniques: [{ name: 'uq_ssh_certificates_serial', columnNames: ['serial'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('ssh_certificates');
    await queryRunner.dropTable('ssh_ca_keys');
  }
}
