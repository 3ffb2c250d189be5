import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * A revocation still owed: one row for each active grant, written in the transaction that mints the
 * grant and deleted in the one that ends it. `dueAt` is the grant's expiry, or after a failed
 * provider revocation the time of the next attempt. Ending finds its work here, in a table only as
 * large as the grants that are live, so the grants table needs no index on its changing columns
 * and ending a grant can update its row in place (a heap-only tuple update, no index writes).
 */
@Entity('grant_revocations')
export class GrantRevocationRow {
  @PrimaryColumn({ name: 'grant_id', type: 'varchar', length: 36 })
  grantId!: string;

  @Column({ name: 'due_at', type: 'bigint', transformer: epochMs })
  dueAt!: Date;

  /** The grant's expiry (moved only by an extension): past it an active grant is overdue. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}
