import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs } from '../columns.js';

/** The post-hoc review of one break-glass activation; `next_escalation_at` is null once reviewed. */
@Entity('break_glass_reviews')
export class BreakGlassReviewRow {
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ type: 'varchar', length: 64 })
  role!: string;

  @Column({ name: 'activated_by', type: 'varchar', length: 512 })
  activatedBy!: string;

  @Column({ name: 'activated_at', type: 'bigint', transformer: epochMs })
  activatedAt!: Date;

  /** The review is due by then; unreviewed after it, the activation escalates. */
  @Column({ name: 'due_at', type: 'bigint', transformer: epochMs })
  dueAt!: Date;

  @Column({ name: 'next_escalation_at', type: 'bigint', transformer: epochMs, nullable: true })
  nextEscalationAt!: Date | null;

  @Column({ type: 'integer', transformer: bigintNumber })
  escalations!: number;

  @Column({ name: 'reviewed_by', type: 'varchar', length: 512, nullable: true })
  reviewedBy!: string | null;

  @Column({ name: 'reviewed_at', type: 'bigint', transformer: epochMs, nullable: true })
  reviewedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;
}
