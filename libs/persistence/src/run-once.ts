import type { OnModuleDestroy } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ScheduledTask } from './advisory-locks.js';
import { ADVISORY_LOCKS } from './advisory-locks.js';
import { DATA_SOURCE } from './unit-of-work.js';

// The server drops a holder it no longer hears from (its host gone, not just its process) after
// about idle + interval × count seconds, instead of the operating system's two hours, and the
// lock goes with it.
const KEEPALIVE = `SELECT set_config('tcp_keepalives_idle', '30', false),
  set_config('tcp_keepalives_interval', '10', false),
  set_config('tcp_keepalives_count', '3', false)`;

/**
 * Which replica runs a scheduled task that must run once per interval across replicas. On
 * PostgreSQL the first process to ask takes the task's session advisory lock and keeps it on one
 * connection of its own (shared by all its tasks) for as long as that connection lives: each
 * interval it runs the task, the others ask and skip. When the holder stops, or dies and its
 * connection closes, the lock is released and another replica takes the turn at its next
 * interval. Each unit of work stays guarded by its own row locks: this saves the other replicas
 * the work, it is not what makes it happen once. SQLite is one process: always its turn.
 */
@Injectable()
export class RunOnce implements OnModuleDestroy {
  private readonly logger = new Logger('RunOnce');
  private readonly asking = new Mutex();
  private readonly held = new Set<ScheduledTask>();
  private holder?: QueryRunner;
  private closed = false;

  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Whether this process runs `task` this interval: its turn kept from before, or taken now. */
  async isMine(task: ScheduledTask): Promise<boolean> {
    if (this.dataSource.options.type !== 'postgres') return true;
    return this.asking.runExclusive(async () => {
      if (this.closed) return false;
      if (this.held.has(task)) {
        if (await this.holderAnswers()) return true;
        // Its connection is gone, and every lock with it: ask again like anyone else.
        await this.dropHolder();
      }
      return this.take(task);
    });
  }

  /** Gives every turn up at shutdown, so another replica takes them at its next interval. */
  async onModuleDestroy(): Promise<void> {
    await this.asking.runExclusive(async () => {
      this.closed = true;
      await this.dropHolder();
    });
  }

  private async take(task: ScheduledTask): Promise<boolean> {
    try {
      const holder = this.holder ?? this.dataSource.createQueryRunner();
      this.holder = holder;
      const [row] = (await holder.query('SELECT pg_try_advisory_lock($1) AS locked', [
        ADVISORY_LOCKS[task],
      ])) as Array<{ locked: boolean }>;
      if (row?.locked === true) {
        if (this.held.size === 0) await holder.query(KEEPALIVE);
        this.held.add(task);
        return true;
      }
      // Another replica's turn; a connection that holds nothing goes back to the pool.
      if (this.held.size === 0) {
        this.holder = undefined;
        await holder.release();
      }
      return false;
    } catch (error) {
      this.logger.warn(`cannot ask for the ${task} turn: ${String(error)}`);
      await this.dropHolder();
      return false;
    }
  }

  private async holderAnswers(): Promise<boolean> {
    try {
      await this.holder?.query('SELECT 1');
      return this.holder !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Unlocks what the holder's connection still holds, if it still answers, and returns it: a
   * connection the server closed is discarded by the pool, and its locks are gone with it.
   */
  private async dropHolder(): Promise<void> {
    const holder = this.holder;
    this.holder = undefined;
    this.held.clear();
    if (!holder) return;
    await holder.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await holder.release();
  }
}
