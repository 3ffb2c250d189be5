import { DataSource } from 'typeorm';
import type { DatabaseKind, FreshDatabase } from './databases.js';

const APPEND_ONLY = ['audit_events', 'audit_checkpoints'];

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
  const toggle = async (action: 'ENABLE' | 'DISABLE') => {
    for (const table of APPEND_ONLY)
      await dataSource.query(`ALTER TABLE ${table} ${action} TRIGGER USER`);
  };
  if (postgres) await toggle('DISABLE');
  try {
    await dataSource.query(sql, parameters);
  } finally {
    if (postgres) await toggle('ENABLE');
  }
}

/** Rows of the database changed over a connection of the test's own, the broker stopped. */
export async function behindItsBack(
  database: FreshDatabase,
  kind: DatabaseKind,
  work: (connection: DataSource, p: (n: number) => string) => Promise<void>,
): Promise<void> {
  const connection = new DataSource(
    kind === 'postgres'
      ? { type: 'postgres', url: database.url }
      : { type: 'better-sqlite3', database: database.url.slice('sqlite:'.length) },
  );
  await connection.initialize();
  try {
    await work(connection, (n) => (kind === 'postgres' ? `$${n}` : '?'));
  } finally {
    await connection.destroy();
  }
}
