import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * A credential revoked before its expiry, kept until that expiry: the signed revocation list reads
 * this small table instead of every grant yet to expire (a million while they are active). Written
 * in the transaction that revokes the grant; rows past their expiry are purged by the sweep.
 */
@Entity('revoked_credentials')
export class RevokedCredentialRow {
  @PrimaryColumn({ name: 'grant_id', type: 'varchar', length: 36 })
  grantId!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}
