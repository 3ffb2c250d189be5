import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs, jsonText } from '../columns.js';

/**
 * A person's registered WebAuthn credential (docs/identity.md, "Passkeys"). Only public material:
 * the credential id and its COSE public key, both base64url. Never deleted: removal by its owner
 * and revocation by an admin both set `revokedAt`/`revokedBy`, so later evidence can still name it.
 */
@Entity('passkeys')
export class PasskeyRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 512 })
  principal!: string;

  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId!: string;

  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ name: 'sign_count', type: 'bigint', transformer: bigintNumber })
  signCount!: number;

  @Column({ type: 'text', transformer: jsonText })
  transports!: string[];

  @Column({ type: 'varchar', length: 36 })
  aaguid!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 512, nullable: true })
  revokedBy!: string | null;
}

/**
 * The registration challenge a web session was last given: server-side, so the browser never
 * supplies its own, and deleted when a response is checked against it, so it serves once.
 */
@Entity('webauthn_challenges')
export class WebAuthnChallengeRow {
  @PrimaryColumn({ name: 'session_hash', type: 'varchar', length: 64 })
  sessionHash!: string;

  @Column({ type: 'varchar', length: 128 })
  challenge!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}
