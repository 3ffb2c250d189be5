import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs } from '../columns.js';

// `audit_pending` and `audit_tiles` have no entity: only libs/audit reads and writes them, in raw
// SQL (one statement per batch; and a bytea on PostgreSQL is a blob on SQLite, no common type).

/** A checkpoint the log signed (C2SP tlog-checkpoint), kept for good. */
@Entity('audit_checkpoints')
export class AuditCheckpointRow {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  size!: number;

  /** The tree's root hash at `size`, base64. */
  @Column({ name: 'root_hash', type: 'varchar', length: 44 })
  rootHash!: string;

  /** The signed note, as served at `GET /v1/audit/checkpoint`. */
  @Column({ type: 'text' })
  note!: string;

  @Column({ name: 'issued_at', type: 'bigint', transformer: epochMs })
  issuedAt!: Date;
}
