import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { GrantStatus } from '#domain';
import { epochMs, jsonText } from '../columns.js';

/** A minted credential's lifetime. The unique request_id makes a request mint at most once. */
@Entity('grants')
export class GrantRow {
  /** Also the credential's `jti`. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ type: 'varchar', length: 64 })
  role!: string;

  @Column({ type: 'varchar', length: 512 })
  resource!: string;

  @Column({ type: 'varchar', length: 512 })
  recipient!: string;

  @Column({ type: 'text', transformer: jsonText })
  actions!: string[];

  @Column({ type: 'text', transformer: jsonText })
  approvers!: string[];

  @Column({ type: 'varchar', length: 16 })
  status!: GrantStatus;

  @Column({ name: 'issued_at', type: 'bigint', transformer: epochMs })
  issuedAt!: Date;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;

  @Column({ name: 'ended_at', type: 'bigint', transformer: epochMs, nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: string | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 512, nullable: true })
  revokedBy!: string | null;

  /** Failed provider revocations so far; retried with capped backoff, never given up. */
  @Column({ name: 'revocation_failures', type: 'integer', default: 0 })
  revocationFailures!: number;

  /** Earliest time of the next revocation attempt after a failure; null when none failed. */
  @Column({ name: 'next_revocation_at', type: 'bigint', transformer: epochMs, nullable: true })
  nextRevocationAt!: Date | null;

  /** The signing key of the credential, so JWKS keeps it published while the grant can live. */
  @Column({ type: 'varchar', length: 64 })
  kid!: string;

  /** Issued through break-glass, without an approval: marked in every view. */
  @Column({ name: 'break_glass', type: 'boolean', default: false })
  breakGlass!: boolean;

  /** The agent acting for the recipient: the credential's `act.sub`. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  act!: string | null;
}
