import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * On PostgreSQL, audit events can only be added: a trigger refuses UPDATE, DELETE and TRUNCATE of
 * `audit_events`, whoever asks, so a broker bug or a stolen application login cannot rewrite the
 * log. The table's owner (or a superuser) can still disable the trigger first: what catches that is
 * the chain's recorded head and, later, checkpoints held outside the database
 * (docs/ARCHITECTURE.md, Audit).
 * SQLite has no equivalent worth the name: whoever can write the file can rewrite it.
 */
export class MakeAuditLogAppendOnly1795930900000 implements MigrationInterface {
  name = 'MakeAuditLogAppendOnly1795930900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query(`
      CREATE FUNCTION countersign_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION countersign_audit_append_only()`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION countersign_audit_append_only()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query('DROP TRIGGER audit_events_no_truncate ON audit_events');
    await queryRunner.query('DROP TRIGGER audit_events_append_only ON audit_events');
    await queryRunner.query('DROP FUNCTION countersign_audit_append_only()');
  }
}
