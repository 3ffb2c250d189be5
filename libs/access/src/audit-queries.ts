import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent, AuditFilter, ChainVerification } from '#audit';
import {
  AuditLog,
  LogIntegrator,
  latestCheckpoint,
  storeConsistencyProof,
  storeInclusionProof,
  storedTiles,
} from '#audit';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '#config';
import { LogKeys } from '#credentials';
import type { AdminAction, Principal } from '#domain';
import { checkAdmin, invalidRequest } from '#domain';
import { UnitOfWork } from '#persistence';
import { refuseDecision } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import type { ListPage } from './queries.js';
import { APP_CONFIG } from './wiring/tokens.js';

export interface InclusionProofView {
  seq: number;
  size: number;
  leafHash: string;
  proof: string[];
}

export interface ConsistencyProofView {
  from: number;
  to: number;
  proof: string[];
}

const base64 = (hash: Uint8Array): string => Buffer.from(hash).toString('base64');

/**
 * The audit log as readers see it: events and verification for admins; the latest checkpoint
 * and Merkle proofs for any authenticated principal (they reveal only hashes and sizes). Each
 * read first integrates every event committed before it (LogIntegrator.catchUp).
 */
@Injectable()
export class AuditQueries {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
    private readonly integrator: LogIntegrator,
    private readonly logKeys: LogKeys,
    private readonly policy: PolicyState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async events(principal: Principal, filter: AuditFilter): Promise<ListPage<AuditEvent>> {
    await this.requireAdmin(principal, 'audit.read');
    await this.integrator.catchUp();
    return this.uow.read(async (db) => {
      const events = await this.audit.list(db, { ...filter, limit: filter.limit + 1 });
      const items = events.slice(0, filter.limit);
      const last = items[items.length - 1];
      return events.length > filter.limit && last
        ? { items, nextCursor: String(last.seq) }
        : { items };
    });
  }

  async verify(principal: Principal): Promise<ChainVerification> {
    await this.requireAdmin(principal, 'audit.verify');
    return this.verifyLog();
  }

  /** The whole log verified, for the worker's periodic check (AuditVerifyTask): no principal. */
  async verifyLog(): Promise<ChainVerification> {
    await this.integrator.catchUp();
    const verifiers = await this.logKeys.verifiers();
    return this.uow.read((db) =>
      this.audit.verify(db, { origin: this.config.audit.origin, verifiers }),
    );
  }

  /** The newest signed checkpoint (issuing one first if the log has grown and one is due). */
  async checkpoint(): Promise<string> {
    await this.integrator.catchUp();
    const latest = await this.uow.read((db) => latestCheckpoint(db));
    if (!latest) throw new Error('the audit log has no checkpoint yet: no log key');
    return latest.note;
  }

  /** The inclusion proof of event `seq` (leaf seq - 1) in the tree of `size` leaves. */
  async inclusionProof(seq: number, size: number): Promise<InclusionProofView> {
    if (seq > size) throw invalidRequest([{ field: 'seq', message: 'must not exceed size' }]);
    await this.integrator.catchUp();
    return this.uow.read(async (db) => {
      await this.requireTreeSize(db, size, 'size');
      const tiles = storedTiles(db);
      const leaf = await tiles.subtreeHash(seq - 1, 0);
      const proof = await storeInclusionProof(tiles, seq - 1, size);
      return { seq, size, leafHash: base64(leaf), proof: proof.map(base64) };
    });
  }

  /** The consistency proof of the tree of `from` leaves with the tree of `to` leaves. */
  async consistencyProof(from: number, to: number): Promise<ConsistencyProofView> {
    if (from > to) throw invalidRequest([{ field: 'from', message: 'must not exceed to' }]);
    await this.integrator.catchUp();
    return this.uow.read(async (db) => {
      await this.requireTreeSize(db, to, 'to');
      const proof = await storeConsistencyProof(storedTiles(db), from, to);
      return { from, to, proof: proof.map(base64) };
    });
  }

  private async requireTreeSize(db: EntityManager, size: number, field: string): Promise<void> {
    const head = await this.audit.recordedHead(db);
    if (size > (head?.treeSize ?? 0)) {
      throw invalidRequest([
        { field, message: `must not exceed the tree's size (${head?.treeSize ?? 0})` },
      ]);
    }
  }

  /** Admins only: anyone else is refused (403), audited as `audit.refused`. */
  private async requireAdmin(principal: Principal, action: AdminAction): Promise<void> {
    const decision = checkAdmin(this.policy.policy, principal, action);
    if (decision.allowed) return;
    const subject = { actor: principal.id, action, data: { action } };
    await this.uow.run((tx) => refuseDecision(tx, this.audit, 'audit.refused', subject, decision));
  }
}
