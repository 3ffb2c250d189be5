import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * The SSH user certificate authority's Ed25519 key (docs/providers.md "SSH certificates"). The
 * private half (PKCS#8 PEM) is AES-256-GCM encrypted unless `encrypted` is false (demo only).
 * `generation` is unique: of two brokers creating the first key at once, one insert wins; the
 * newest generation signs, the earlier ones stay published while certificates they signed live.
 */
@Entity('ssh_ca_keys')
export class SshCaKeyRow {
  /** The key's OpenSSH SHA256 fingerprint. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'integer' })
  generation!: number;

  /** The public key, one OpenSSH line (`ssh-ed25519 AAAA... countersign-ssh-ca`). */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ type: 'boolean' })
  encrypted!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
