import type { DataSource } from 'typeorm';

/**
 * Runs SQL that rewrites the audit log behind the broker's back, as an attacker holding the
 * table's owner login would: on PostgreSQL the append-only trigger is disabled first (and enabled
 * again after), which only the owner or a superuser can do.
 */
export async function tamperWithAuditLog(
  dataSource: DataSource,
  sql: string,
  parameters: unknown[] = [],
): Promise<void> {
  const postgres = dataSource.options.type === 'postgres';
  if (postgres) await dataSource.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
  try {
    await dataSource.query(sql, parameters);
  } finally {
    if (postgres) await dataSource.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
  }
}
