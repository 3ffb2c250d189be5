import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RequestStatus } from '#domain';
import { epochMs, jsonText } from '../columns.js';

@Entity('access_requests')
export class AccessRequestRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  role!: string;

  @Column({ type: 'varchar', length: 512 })
  resource!: string;

  @Column({ type: 'varchar', length: 512 })
  requester!: string;

  @Column({ type: 'varchar', length: 512 })
  recipient!: string;

  @Column({ type: 'text', nullable: true })
  justification!: string | null;

  @Column({ name: 'duration_seconds', type: 'integer' })
  durationSeconds!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: RequestStatus;

  @Column({ name: 'approvals_required', type: 'integer' })
  approvalsRequired!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  /** When the open request stops being actionable: createdAt + requestTimeout, then approval + redeemWithin. */
  @Column({ name: 'deadline_at', type: 'bigint', transformer: epochMs, nullable: true })
  deadlineAt!: Date | null;

  @Column({ name: 'decided_at', type: 'bigint', transformer: epochMs, nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'grant_id', type: 'varchar', length: 36, nullable: true })
  grantId!: string | null;

  /** The narrower actions and resource asked for, when the request narrows its role. */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  intent!: { actions: string[]; resource: string } | null;

  /** Activated through break-glass: issued without an approval, reviewed afterwards. */
  @Column({ name: 'break_glass', type: 'boolean', default: false })
  breakGlass!: boolean;

  /** The agent that asked on the recipient's behalf (RFC 8693 `act`), when one did. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  act!: string | null;

  /** The grant this request extends, when it asks for more time on one (docs/api.md). */
  @Column({ name: 'extends_grant_id', type: 'varchar', length: 36, nullable: true })
  extendsGrantId!: string | null;

  /** When the request was escalated: its role's `escalation.to` may decide it too (docs/notifications.md). */
  @Column({ name: 'escalated_at', type: 'bigint', transformer: epochMs, nullable: true })
  escalatedAt!: Date | null;

  /** How many reminder rounds its approvers were sent. */
  @Column({ type: 'integer', default: 0 })
  reminders!: number;

  /** The requester's token groups at creation, for re-evaluation after a policy reload. */
  @Column({ name: 'requester_groups', type: 'text', nullable: true, transformer: jsonText })
  requesterGroups!: string[] | null;
}
