import type { EntityManager } from 'typeorm';
import { AuditCheckpointRow } from '#persistence';

/** The newest checkpoint the log issued, if any. */
export async function latestCheckpoint(manager: EntityManager): Promise<AuditCheckpointRow | null> {
  return manager.findOne(AuditCheckpointRow, { where: {}, order: { size: 'DESC' } });
}

/** Kept checkpoints in size order, `limit` at a time after `afterSize`. */
export async function checkpointsAfter(
  manager: EntityManager,
  afterSize: number,
  limit: number,
): Promise<AuditCheckpointRow[]> {
  return manager
    .createQueryBuilder(AuditCheckpointRow, 'c')
    .where('c.size > :after', { after: afterSize })
    .orderBy('c.size', 'ASC')
    .limit(limit)
    .getMany();
}

export async function keepCheckpoint(
  tx: EntityManager,
  checkpoint: Pick<AuditCheckpointRow, 'size' | 'rootHash' | 'note' | 'issuedAt'>,
): Promise<void> {
  await tx.getRepository(AuditCheckpointRow).insert(checkpoint);
}
