import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../columns.js';

/** A credential signing key. The private half is AES-256-GCM encrypted unless `encrypted` is false (demo only). */
@Entity('signing_keys')
export class SigningKeyRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: string;

  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk!: string;

  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ type: 'boolean' })
  encrypted!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  /** Set when a newer key takes over signing; the key stays in JWKS until `publishUntil`. */
  @Column({ name: 'retired_at', type: 'bigint', transformer: epochMs, nullable: true })
  retiredAt!: Date | null;

  @Column({ name: 'publish_until', type: 'bigint', transformer: epochMs, nullable: true })
  publishUntil!: Date | null;
}
