import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';
import type { DomainError } from '#domain';

/**
 * A refusal decided inside a transaction. Its audit events must be committed, so the work returns
 * it instead of throwing (which would roll them back); `UnitOfWork.run` throws it after commit.
 */
export class Refusal {
  constructor(readonly error: DomainError) {}
}

export type Tx = EntityManager;

/**
 * Runs state changes and their audit events in one transaction. PostgreSQL serialises conflicting
 * work with row locks; SQLite has one connection and one writer, so transactions are queued here.
 */
export class UnitOfWork {
  private readonly sqliteWriter?: Mutex;

  constructor(readonly dataSource: DataSource) {
    if (dataSource.options.type === 'better-sqlite3') this.sqliteWriter = new Mutex();
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  async run<T>(work: (tx: Tx) => Promise<T | Refusal>): Promise<T> {
    const transaction = () => this.dataSource.transaction((tx) => work(tx));
    const result = this.sqliteWriter
      ? await this.sqliteWriter.runExclusive(transaction)
      : await transaction();
    if (result instanceof Refusal) throw result.error;
    return result;
  }

  /** Reads outside a transaction; on SQLite they queue behind writers so none sees a half-done one. */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const manager = this.dataSource.manager;
    return this.sqliteWriter ? this.sqliteWriter.runExclusive(() => work(manager)) : work(manager);
  }
}
