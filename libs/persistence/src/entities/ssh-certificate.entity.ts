import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * The certificate an `ssh` grant was issued, by serial: what the key revocation list names once
 * the grant is revoked early (GET /v1/ssh/krl). Nothing secret: the certificate is public.
 */
@Entity('ssh_certificates')
export class SshCertificateRow {
  @PrimaryColumn({ name: 'grant_id', type: 'varchar', length: 36 })
  grantId!: string;

  /** The certificate's serial, a non-zero uint64 in decimal; unique. */
  @Column({ type: 'varchar', length: 20 })
  serial!: string;

  /** The CA key that signed it: a KRL lists serials per CA key. */
  @Column({ name: 'ca_kid', type: 'varchar', length: 64 })
  caKid!: string;

  /** The certificate's valid-before: past it, sshd refuses it without the KRL. */
  @Column({ name: 'valid_until', type: 'bigint', transformer: epochMs })
  validUntil!: Date;
}
