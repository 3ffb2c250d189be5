import { Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * A warning that a grant ends soon (a role's `warnBefore`), owed once per end: an extension moves
 * the end, and the new end is warned about again.
 */
@Entity('grant_end_warnings')
export class GrantEndWarningRow {
  @PrimaryColumn({ name: 'grant_id', type: 'varchar', length: 36 })
  grantId!: string;

  @PrimaryColumn({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}
