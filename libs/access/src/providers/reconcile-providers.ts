import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import type { UnitOfWork } from '#persistence';
import { GrantRow } from '#persistence';
import type { LiveAccess } from './credential-provider.js';
import { providerFailure } from './credential-provider.js';
import type { ProviderRegistry } from './provider-registry.js';

export interface ReconcileRun {
  removed: number;
  failed: number;
  /** The audit-safe messages of the failures (a target unreachable, a listing that failed). */
  failures: string[];
}

/**
 * How long something opened at a target without a committed grant is left alone: a mint may be
 * between its provider call and its commit. Well above any mint transaction's length.
 */
export const RECONCILE_GRACE_MS = 10 * 60 * 1000;

const IDS_PER_QUERY = 500;

/**
 * Removes what providers hold open without an active grant (docs/providers.md): left behind by a
 * broker that died between a provider's grant and its commit, or by a role whose provider changed.
 * Runs at start-up and with every sweep; removing is idempotent, so replicas may race.
 */
export class ProviderReconciler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: ProviderRegistry,
    private readonly clock: Clock,
    private readonly graceMs = RECONCILE_GRACE_MS,
  ) {}

  async reconcile(): Promise<ReconcileRun> {
    const run: ReconcileRun = { removed: 0, failed: 0, failures: [] };
    for (const provider of this.providers.all()) {
      let live: LiveAccess[];
      try {
        live = await provider.listLive();
      } catch (error) {
        run.failed++;
        run.failures.push(providerFailure(error));
        continue;
      }
      for (const orphan of await this.orphans(live)) {
        try {
          await orphan.remove();
          run.removed++;
        } catch (error) {
          run.failed++;
          run.failures.push(providerFailure(error));
        }
      }
    }
    return run;
  }

  /** Live objects whose grant ended, or that no grant row owns and are older than the grace. */
  private async orphans(live: readonly LiveAccess[]): Promise<LiveAccess[]> {
    if (live.length === 0) return [];
    const status = await this.uow.read((db) =>
      statuses(
        db,
        live.map((item) => item.grantId),
      ),
    );
    const cutoff = this.clock.now().getTime() - this.graceMs;
    return live.filter((item) => {
      const grant = status.get(item.grantId);
      if (grant === 'active') return false;
      if (grant !== undefined) return true;
      return item.createdAt === undefined || item.createdAt.getTime() <= cutoff;
    });
  }
}

async function statuses(db: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const rows = await db.find(GrantRow, {
      select: { id: true, status: true },
      where: { id: In(ids.slice(i, i + IDS_PER_QUERY)) },
    });
    for (const row of rows) found.set(row.id, row.status);
  }
  return found;
}
