import type { DataSource } from 'typeorm';
import { ADVISORY_LOCKS } from './advisory-locks.js';

// Every broker and worker applies pending migrations at start. Processes started together on an
// empty database would otherwise race to create the same tables (the migrations table first), so
// on PostgreSQL one migrates at a time: a session-level advisory lock, taken on a connection of
// its own for the whole run (each migration keeps its own transaction) and released after. A
// process that dies while holding it releases it with its connection.
const MIGRATION_LOCK = ADVISORY_LOCKS.migrations;

/** Applies pending migrations, each in its own transaction, one process at a time. */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  // SQLite is one process's file: nothing to race with.
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockHolder = dataSource.createQueryRunner();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await lockHolder.release();
  }
}
