import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs, jsonText } from '../columns.js';

/** An append-only, hash-chained audit event (docs/api.md §5). Rows are never updated or deleted. */
@Entity('audit_events')
export class AuditEventRow {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  @Column({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: Date;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'varchar', length: 512 })
  actor!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36, nullable: true })
  requestId!: string | null;

  @Column({ name: 'grant_id', type: 'varchar', length: 36, nullable: true })
  grantId!: string | null;

  @Column({ type: 'text', transformer: jsonText })
  data!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
