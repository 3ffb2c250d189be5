import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from '../columns.js';

export type ServiceAccountStatus = 'active' | 'disabled';

/**
 * A service account (docs/identity.md): principal `local:<name>`, owned by a person, holding one
 * API key at a time. Only the key's SHA-256 is stored, looked up by its non-secret key id. Rows are
 * never deleted: a disabled account keeps its name and its place in the ownership graph.
 */
@Entity('service_accounts')
export class ServiceAccountRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  /** The owning person's principal id. Set once, at creation. */
  @Column({ type: 'varchar', length: 512 })
  owner!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** Groups an admin gave it, as a token's groups would be; the directory's are added per use. */
  @Column({ type: 'text', transformer: jsonText })
  groups!: string[];

  @Column({ type: 'varchar', length: 16 })
  status!: ServiceAccountStatus;

  @Column({ name: 'key_id', type: 'varchar', length: 16, unique: true })
  keyId!: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ name: 'key_created_at', type: 'bigint', transformer: epochMs })
  keyCreatedAt!: Date;

  @Column({ name: 'key_expires_at', type: 'bigint', transformer: epochMs, nullable: true })
  keyExpiresAt!: Date | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 512 })
  createdBy!: string;

  /**
   * Who received the current key (its creator, then whoever rotated it last): linked to the
   * account for separation of duties until someone else rotates it. Null only where unknown.
   */
  @Column({ name: 'key_holder', type: 'varchar', length: 512, nullable: true })
  keyHolder!: string | null;

  @Column({ name: 'disabled_at', type: 'bigint', transformer: epochMs, nullable: true })
  disabledAt!: Date | null;

  /** Updated at most once a minute, so authentication stays a read. */
  @Column({ name: 'last_used_at', type: 'bigint', transformer: epochMs, nullable: true })
  lastUsedAt!: Date | null;
}
