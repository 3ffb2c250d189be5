import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/**
 * The transparency log's Ed25519 key (docs/ARCHITECTURE.md "Credentials and keys"). The private
 * half (the 32-byte seed, base64) is AES-256-GCM encrypted unless `encrypted` is false (demo only).
 * `generation` is unique: of two brokers creating the first key at once, one insert wins.
 */
@Entity('log_keys')
export class LogKeyRow {
  /** The RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'integer' })
  generation!: number;

  /** The raw 32-byte Ed25519 public key, base64. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ type: 'boolean' })
  encrypted!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
