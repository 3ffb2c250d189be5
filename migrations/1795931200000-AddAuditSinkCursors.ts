import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';

/**
 * Where each audit sink (docs/audit-sinks.md) has got to: the last event seq and the last
 * checkpoint size it has been sent, advanced only after the sink took the batch. One row per sink
 * name; a row of a sink no longer configured stays, so the sink resumes if it comes back.
 */
export class AddAuditSinkCursors1795931200000 implements MigrationInterface {
  name = 'AddAuditSinkCursors1795931200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_sink_cursors',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'event_seq', type: 'bigint', default: 0 },
          { name: 'checkpoint_size', type: 'bigint', default: 0 },
          // When the cursor last moved (epoch milliseconds).
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_sink_cursors');
  }
}
