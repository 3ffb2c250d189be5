import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from '../columns.js';

/**
 * A signed-in web session (docs/api.md §6). The cookie carries a random id; only its SHA-256 is
 * stored, so a database reader cannot take over a session. Ended by logout or by expiry.
 */
@Entity('web_sessions')
export class WebSessionRow {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash!: string;

  @Column({ type: 'varchar', length: 512 })
  principal!: string;

  /** The groups the identity provider's token carried at sign-in; the directory is added per use. */
  @Column({ name: 'token_groups', type: 'text', transformer: jsonText })
  tokenGroups!: string[];

  /** False when the ID token lacked its issuer's groups claim: admin reach must be found elsewhere. */
  @Column({ name: 'token_groups_known', type: 'boolean', default: true })
  tokenGroupsKnown!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}

/**
 * A sign-in in progress: the PKCE verifier, state and nonce of one redirect to the identity
 * provider, and where to go afterwards. Keyed like a session; consumed (deleted) at the callback.
 */
@Entity('web_logins')
export class WebLoginRow {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash!: string;

  @Column({ type: 'varchar', length: 128 })
  state!: string;

  @Column({ type: 'varchar', length: 128 })
  nonce!: string;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier!: string;

  @Column({ name: 'return_to', type: 'varchar', length: 1024 })
  returnTo!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}
