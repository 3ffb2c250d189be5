import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

// Portable column types only: this migration runs on PostgreSQL and on SQLite. Instants are epoch
// milliseconds (bigint) and JSON documents are text, see libs/persistence/src/columns.ts.
const id = (name = 'id') => ({ name, type: 'varchar', length: '36' });
const principal = (name: string, isNullable = false) => ({
  name,
  type: 'varchar',
  length: '512',
  isNullable,
});
const instant = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });

export class CreateCoreTables1795911535244 implements MigrationInterface {
  name = 'CreateCoreTables1795911535244';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'access_requests',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'role', type: 'varchar', length: '64' },
          { name: 'resource', type: 'varchar', length: '512' },
          principal('requester'),
          principal('recipient'),
          { name: 'justification', type: 'text', isNullable: true },
          { name: 'duration_seconds', type: 'integer' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'approvals_required', type: 'integer' },
          instant('created_at'),
          instant('deadline_at', true),
          instant('decided_at', true),
          { ...id('grant_id'), isNullable: true },
        ],
        indices: [
          { name: 'idx_requests_created', columnNames: ['created_at', 'id'] },
          { name: 'idx_requests_requester', columnNames: ['requester'] },
          { name: 'idx_requests_recipient', columnNames: ['recipient'] },
          { name: 'idx_requests_status_deadline', columnNames: ['status', 'deadline_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'approvals',
        columns: [
          { ...id(), isPrimary: true },
          id('request_id'),
          principal('approver'),
          { name: 'comment', type: 'text', isNullable: true },
          instant('at'),
          { name: 'admin_reach', type: 'boolean' },
          { name: 'token_groups', type: 'text' },
        ],
        uniques: [
          { name: 'uq_approvals_request_approver', columnNames: ['request_id', 'approver'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'grants',
        columns: [
          { ...id(), isPrimary: true },
          id('request_id'),
          { name: 'role', type: 'varchar', length: '64' },
          { name: 'resource', type: 'varchar', length: '512' },
          principal('recipient'),
          { name: 'actions', type: 'text' },
          { name: 'approvers', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          instant('issued_at'),
          instant('expires_at'),
          instant('ended_at', true),
          { name: 'revoked_reason', type: 'text', isNullable: true },
          principal('revoked_by', true),
          { name: 'kid', type: 'varchar', length: '64' },
        ],
        uniques: [{ name: 'uq_grants_request', columnNames: ['request_id'] }],
        indices: [
          { name: 'idx_grants_status_expires', columnNames: ['status', 'expires_at'] },
          { name: 'idx_grants_recipient', columnNames: ['recipient'] },
          { name: 'idx_grants_issued', columnNames: ['issued_at', 'id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'seq', type: 'bigint', isPrimary: true },
          id(),
          instant('at'),
          { name: 'type', type: 'varchar', length: '64' },
          principal('actor'),
          { ...id('request_id'), isNullable: true },
          { ...id('grant_id'), isNullable: true },
          { name: 'data', type: 'text' },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
        uniques: [{ name: 'uq_audit_id', columnNames: ['id'] }],
        indices: [
          { name: 'idx_audit_type', columnNames: ['type', 'seq'] },
          { name: 'idx_audit_actor', columnNames: ['actor', 'seq'] },
          { name: 'idx_audit_request', columnNames: ['request_id', 'seq'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'algorithm', type: 'varchar', length: '16' },
          { name: 'public_jwk', type: 'text' },
          { name: 'private_key', type: 'text' },
          { name: 'encrypted', type: 'boolean' },
          instant('created_at'),
          instant('retired_at', true),
          instant('publish_until', true),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'signing_keys',
      'audit_events',
      'grants',
      'approvals',
      'access_requests',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
