import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableColumn } from 'typeorm';

/**
 * The audit log as a transparency log (docs/audit.md):
 * - `audit_pending`: events written by business transactions, with no lock, numbered by writing
 *   transaction (`txn`) and place in it (`ord`); the integrator moves them into `audit_events`,
 *   assigning `seq` and the chain;
 * - `audit_tiles`: the Merkle tree's hashes, 256 per row (tile `level` L holds the hashes of tree
 *   level 8L), rewritten only while a tile is partial;
 * - `audit_checkpoints`: every signed checkpoint the log issued, kept;
 * - `audit_head.tree_size`: how many integrated events the tree holds (0 for an install from before
 *   this migration: the integrator adds its existing events to the tree before new ones).
 * On PostgreSQL kept checkpoints are append-only like the events.
 */
export class AddTransparencyLog1795931100000 implements MigrationInterface {
  name = 'AddTransparencyLog1795931100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    if (postgres) await queryRunner.query('CREATE SEQUENCE audit_pending_txn');
    await queryRunner.createTable(
      new Table({
        name: 'audit_pending',
        columns: [
          // One number per writing transaction (a sequence on PostgreSQL), then the event's place
          // in it: a transaction's events stay together and in order, whatever commits between.
          { name: 'txn', type: 'bigint', isPrimary: true },
          { name: 'ord', type: 'integer', isPrimary: true },
          { name: 'event_id', type: 'varchar', length: '36' },
          { name: 'at', type: 'bigint' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'actor', type: 'varchar', length: '512' },
          { name: 'request_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'grant_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'data', type: 'text' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_tiles',
        columns: [
          { name: 'level', type: 'integer', isPrimary: true },
          { name: 'idx', type: 'bigint', isPrimary: true },
          { name: 'hashes', type: postgres ? 'bytea' : 'blob' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          { name: 'size', type: 'bigint', isPrimary: true },
          { name: 'root_hash', type: 'varchar', length: '44' },
          { name: 'note', type: 'text' },
          { name: 'issued_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.addColumn(
      'audit_head',
      new TableColumn({ name: 'tree_size', type: 'bigint', default: 0 }),
    );
    if (postgres) {
      // The same refusal as for audit_events, naming whichever table was touched.
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION countersign_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END
        $$`);
      await queryRunner.query(`
        CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION countersign_audit_append_only()`);
      await queryRunner.query(`
        CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION countersign_audit_append_only()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints');
      await queryRunner.query('DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints');
    }
    await queryRunner.dropColumn('audit_head', 'tree_size');
    await queryRunner.dropTable('audit_checkpoints');
    await queryRunner.dropTable('audit_tiles');
    await queryRunner.dropTable('audit_pending');
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DROP SEQUENCE audit_pending_txn');
    }
  }
}
