import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText, nullableJsonText } from '../columns.js';

/**
 * A WebAuthn assertion by the approver's passkey over the approval statement (libs/evidence,
 * approval-statement.ts): what a verifier needs besides the passkey's public key, all public.
 */
export interface PasskeyApprovalSignature {
  kind: 'passkey';
  /** The passkeys row, and the WebAuthn credential id (base64url) it holds. */
  passkeyId: string;
  credentialId: string;
  /** The nonce the broker issued for this approval, part of the signed statement. */
  nonce: string;
  rpId: string;
  origin: string;
  /** base64url, as the authenticator returned them. */
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
}

/** One approval per (request, approver): the unique index makes a principal count once. */
@Entity('approvals')
export class ApprovalRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ type: 'varchar', length: 512 })
  approver!: string;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: Date;

  /** The approver held admin reach when it approved (docs/api.md §2 rule 6). */
  @Column({ name: 'admin_reach', type: 'boolean' })
  adminReach!: boolean;

  /** Groups from the approver's token at approval, so eligibility can be re-evaluated at mint. */
  @Column({ name: 'token_groups', type: 'text', transformer: jsonText })
  tokenGroups!: string[];

  /** The broker's signed approval receipt (compact JWS); see libs/evidence. */
  @Column({ type: 'text', nullable: true })
  receipt!: string | null;

  /** The approver's passkey signature over the request's terms, as JSON; null if none. */
  @Column({ type: 'text', nullable: true, transformer: nullableJsonText })
  signature!: PasskeyApprovalSignature | null;
}
