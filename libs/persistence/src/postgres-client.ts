import type { ClientBase } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * The `pg` client that runs a PostgreSQL transaction, for what TypeORM cannot send on a hot path:
 * several statements in one round trip (it keeps only one result), or a COPY stream.
 */
export async function postgresClientOf(tx: EntityManager): Promise<ClientBase> {
  if (!tx.queryRunner) throw new Error('the pg client is reached through a transaction');
  return (await tx.queryRunner.connect()) as ClientBase;
}
