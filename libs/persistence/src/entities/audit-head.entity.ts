import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../columns.js';

/**
 * Where the audit chain ends, kept apart from `audit_events` and written in the transaction of
 * every append, so that newest events deleted behind the broker's back show up as a chain that
 * stops short of its recorded head (`truncated` at `GET /v1/audit/verify`). One row, id 1.
 */
@Entity('audit_head')
export class AuditHeadRow {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** How many integrated events the Merkle tree holds (leaf seq - 1 for each). */
  @Column({ name: 'tree_size', type: 'bigint', transformer: bigintNumber, default: 0 })
  treeSize!: number;
}
