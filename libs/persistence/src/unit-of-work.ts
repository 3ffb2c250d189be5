import { Inject, Injectable } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';
import type { DomainError } from '#domain';

/** The Nest injection token of the app's DataSource (the one `openDatabase` opened). */
export const DATA_SOURCE = 'countersign:data-source';

/**
 * A refusal decided inside a transaction. Its audit events must be committed, so the work returns
 * it instead of throwing (which would roll them back); `UnitOfWork.run` throws it after commit.
 */
export class Refusal {
  constructor(readonly error: DomainError) {}
}

export type Tx = EntityManager;

type CommitHook = () => Promise<void>;

/** What one UnitOfWork transaction carries besides its SQL: work deferred to just before COMMIT. */
interface TransactionScope {
  hooks: Map<string, CommitHook>;
  state: Map<string, unknown>;
  afterCommit: (() => void)[];
}

// Keyed by the transaction's EntityManager and removed when the transaction ends, however it
// ends: on SQLite TypeORM hands every transaction the same manager object.
const scopes = new WeakMap<EntityManager, TransactionScope>();

/**
 * Registers `hook` (once per key) to run at the end of `tx`, before it commits, with a state
 * object of its own for the life of this transaction. Returns undefined when `tx` is not a
 * UnitOfWork transaction, so the caller does its work at once instead.
 */
export function runBeforeCommit<S>(
  tx: EntityManager,
  key: string,
  init: () => S,
  hook: (state: S) => Promise<void>,
): S | undefined {
  const scope = scopes.get(tx);
  if (!scope) return undefined;
  if (!scope.state.has(key)) {
    const state = init();
    scope.state.set(key, state);
    scope.hooks.set(key, () => hook(state));
  }
  return scope.state.get(key) as S;
}

/**
 * Runs `effect` once `tx` has committed (a refusal commits too), or at once when `tx` is not a
 * UnitOfWork transaction. Never after a rollback. `effect` must return at once (start, not await,
 * slow work) and should not throw; if it does, the error is swallowed: the change has committed.
 */
export function runAfterCommit(tx: EntityManager, effect: () => void): void {
  const scope = scopes.get(tx);
  if (scope) scope.afterCommit.push(effect);
  else runEffect(effect);
}

function runEffect(effect: () => void): void {
  try {
    effect();
  } catch {
    // Side effects after commit never fail the change they follow.
  }
}

/**
 * Runs state changes and their audit events in one transaction. PostgreSQL serialises conflicting
 * work with row locks; SQLite has one connection and one writer, so transactions are queued here.
 */
@Injectable()
export class UnitOfWork {
  private readonly sqliteWriter?: Mutex;

  constructor(@Inject(DATA_SOURCE) readonly dataSource: DataSource) {
    if (dataSource.options.type === 'better-sqlite3') this.sqliteWriter = new Mutex();
  }

  async run<T>(work: (tx: Tx) => Promise<T | Refusal>): Promise<T> {
    const afterCommit: (() => void)[] = [];
    const transaction = () =>
      this.dataSource.transaction(async (tx) => {
        const scope: TransactionScope = { hooks: new Map(), state: new Map(), afterCommit };
        scopes.set(tx, scope);
        try {
          const result = await work(tx);
          // A refusal commits too (its audit events must), so hooks run for it as well.
          for (const hook of scope.hooks.values()) await hook();
          return result;
        } finally {
          scopes.delete(tx);
        }
      });
    const result = this.sqliteWriter
      ? await this.sqliteWriter.runExclusive(transaction)
      : await transaction();
    afterCommit.forEach(runEffect);
    if (result instanceof Refusal) throw result.error;
    return result;
  }

  /** Reads outside a transaction; on SQLite they queue behind writers so none sees a half-done one. */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const manager = this.dataSource.manager;
    return this.sqliteWriter ? this.sqliteWriter.runExclusive(() => work(manager)) : work(manager);
  }
}
