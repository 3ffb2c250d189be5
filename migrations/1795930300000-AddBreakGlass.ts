import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableColumn } from 'typeorm';

/**
 * Break-glass: activations are marked on their request and grant, and each has a
 * post-hoc review that escalates until someone distinct and eligible signs it off.
 */
export class AddBreakGlass1795930300000 implements MigrationInterface {
  name = 'AddBreakGlass1795930300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['access_requests', 'grants']) {
      await queryRunner.addColumn(
        table,
        new TableColumn({ name: 'break_glass', type: 'boolean', default: false }),
      );
    }
    await queryRunner.createTable(
      new Table({
        name: 'break_glass_reviews',
        columns: [
          { name: 'request_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'role', type: 'varchar', length: '64' },
          { name: 'activated_by', type: 'varchar', length: '512' },
          { name: 'activated_at', type: 'bigint' },
          { name: 'due_at', type: 'bigint' },
          { name: 'next_escalation_at', type: 'bigint', isNullable: true },
          { name: 'escalations', type: 'integer', default: 0 },
          { name: 'reviewed_by', type: 'varchar', length: '512', isNullable: true },
          { name: 'reviewed_at', type: 'bigint', isNullable: true },
          { name: 'comment', type: 'text', isNullable: true },
        ],
        indices: [
          // Unreviewed activations by when they next escalate: what the escalation task reads.
          { name: 'idx_break_glass_escalation', columnNames: ['next_escalation_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('break_glass_reviews');
    for (const table of ['grants', 'access_requests']) {
      await queryRunner.dropColumn(table, 'break_glass');
    }
  }
}
